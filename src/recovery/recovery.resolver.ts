import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { RequiresRecentAuth } from '../graphql/step-up.decorator';
import type { Context } from '../graphql/context';
import { User } from '../users/user.entity';
import { ResetPasswordInput } from './reset-password.input';

// Account recovery by email. Link tokens reach the app in the fragment of a link (APP_URL/verify-email,
// /reset-password, /confirm-email, each with #token=…); a refused one is BAD_USER_INPUT on `token` with
// reason TOKEN_INVALID or TOKEN_EXPIRED.
@Resolver()
export class RecoveryResolver {
  @Authorized()
  @Mutation(() => Boolean, { description: "Mails a verification link to the signed-in user's address. Already verified: true, and no mail." })
  async requestEmailVerification(@Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    return services.verification.request(em, await viewer.require(), client);
  }

  @Mutation(() => Boolean, {
    description:
      'Mails a new verification link to this address if it has an unverified, enabled account. Always true (nothing tells whether the address has an account). No sign-in needed.',
  })
  resendVerificationEmail(@Arg('email') email: string, @Ctx() { em, services, client }: Context): Promise<boolean> {
    return services.verification.resend(em, email, client);
  }

  @Mutation(() => User, { description: 'Marks the address verified, from the token of a verification link. No sign-in needed.' })
  verifyEmail(@Arg('token') token: string, @Ctx() { em, services, client }: Context): Promise<User> {
    return services.verification.verify(em, token, client);
  }

  @Mutation(() => Boolean, {
    description:
      'Mails a password reset link if the address has an enabled account. Always true, with the same timing and limits whether or not it has one; an address without an account gets no mail.',
  })
  requestPasswordReset(@Arg('email') email: string, @Ctx() { em, services, client }: Context): Promise<boolean> {
    return services.passwordReset.request(em, email, client);
  }

  @Mutation(() => Boolean, {
    description:
      'Sets a new password from the token of a reset link and ends every session of the account. It does not sign in: sign in with the new password.',
  })
  resetPassword(@Arg('input') input: ResetPasswordInput, @Ctx() { em, services, client }: Context): Promise<boolean> {
    return services.passwordReset.reset(em, input, client);
  }

  @Authorized()
  @RequiresRecentAuth({ orPassword: 'currentPassword' })
  @Mutation(() => Boolean, {
    description:
      'Mails a confirmation link to the new address and a notice to the current one; the address changes only on confirmation. Needs a recent authentication (REAUTH_WINDOW), or, for an account without a second factor, currentPassword.',
  })
  async requestEmailChange(
    @Arg('newEmail') newEmail: string,
    @Arg('currentPassword', () => String, { nullable: true }) currentPassword: string | null,
    @Ctx() { em, services, viewer, client }: Context,
  ): Promise<boolean> {
    return services.emailChange.request(em, await viewer.require(), { newEmail, currentPassword }, client);
  }

  @Mutation(() => User, {
    description: 'Changes the address to the new one, from the token of a confirmation link, if it is still free. No sign-in needed.',
  })
  confirmEmailChange(@Arg('token') token: string, @Ctx() { em, services, client }: Context): Promise<User> {
    return services.emailChange.confirm(em, token, client);
  }
}
