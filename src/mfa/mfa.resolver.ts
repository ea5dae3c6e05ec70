import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { AuthPayload } from '../auth/auth.payload';
import { AllowedBeforeMfaEnrollment, RequiresRecentAuth } from '../graphql/step-up.decorator';
import type { Context } from '../graphql/context';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { ReauthenticateInput, VerifyMfaInput } from './mfa.input';
import { RecoveryCodes, TotpEnrollment } from './mfa.type';

@Resolver()
export class MfaResolver {
  @Mutation(() => AuthPayload, { description: 'Completes a sign-in that login answered with an MfaChallenge: a new session.' })
  async verifyMfa(@Arg('input') input: VerifyMfaInput, @Ctx() { em, services, client, refreshCookie }: Context): Promise<AuthPayload> {
    return refreshCookie.deliver(await services.mfa.challenges.verify(em, input, client));
  }

  @Authorized()
  @AllowedBeforeMfaEnrollment()
  @Mutation(() => AuthPayload, {
    description:
      'Proves the signed-in user again (password, plus the second factor if enrolled): fresh tokens for the same session, with a new auth_time. The way past REAUTHENTICATION_REQUIRED.',
  })
  async reauthenticate(
    @Arg('input') input: ReauthenticateInput,
    @Ctx() { em, services, viewer, client, refreshCookie }: Context,
  ): Promise<AuthPayload> {
    return refreshCookie.deliver(await services.mfa.challenges.reauthenticate(em, await viewer.require(), input, client));
  }

  @Authorized()
  @AllowedBeforeMfaEnrollment()
  @Mutation(() => TotpEnrollment, {
    description: 'A new TOTP secret to add to an authenticator app; confirmTotpEnrollment turns it on. MFA_ALREADY_ENABLED if one is on.',
  })
  async startTotpEnrollment(@Ctx() { em, services, viewer }: Context): Promise<TotpEnrollment> {
    return services.mfa.enrollment.start(em, await viewer.require());
  }

  @Authorized()
  @AllowedBeforeMfaEnrollment()
  @Mutation(() => RecoveryCodes, {
    description: "Turns TOTP on with the app's current code and returns 10 recovery codes (shown once). Later sign-ins answer an MfaChallenge.",
  })
  async confirmTotpEnrollment(@Arg('code') code: string, @Ctx() { em, services, viewer, client }: Context): Promise<RecoveryCodes> {
    return services.mfa.enrollment.confirm(em, await viewer.require(), code, client);
  }

  @Authorized()
  @RequiresRecentAuth()
  @Mutation(() => Boolean, { description: 'Turns the second factor off and deletes the recovery codes. MFA_NOT_ENABLED if there is none.' })
  async disableTotp(@Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    return services.mfa.enrollment.disable(em, await viewer.require(), client);
  }

  @Authorized()
  @RequiresRecentAuth()
  @Mutation(() => RecoveryCodes, {
    description: 'New recovery codes in place of the old ones (which stop working). MFA_NOT_ENABLED without a second factor.',
  })
  async regenerateRecoveryCodes(@Ctx() { em, services, viewer, client }: Context): Promise<RecoveryCodes> {
    return services.mfa.enrollment.regenerate(em, await viewer.require(), client);
  }

  @Authorized(Role.ADMIN)
  @RequiresRecentAuth()
  @Mutation(() => User, {
    description:
      "ADMIN only. Removes the user's second factor and recovery codes (recorded; the user is mailed a notice when mail is configured). Needs the admin's own recent sign-in, with their second factor if they have one.",
  })
  async resetUserMfa(@Arg('id', () => ID) id: string, @Ctx() { em, services, viewer, client }: Context): Promise<User> {
    return services.mfa.enrollment.reset(em, await viewer.require(), id, client);
  }
}

/** The second-factor fields of User (declared here: users/ does not know about factors). */
@Resolver(() => User)
export class MfaUserFieldsResolver {
  @FieldResolver(() => Boolean, { description: 'Whether the account has a second factor (login then answers an MfaChallenge).' })
  mfaEnabled(@Root() user: User, @Ctx() { em, services }: Context): Promise<boolean> {
    return services.mfa.enrollment.enabled(em, user.id);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Unused recovery codes; only for the signed-in user themselves (null for others).' })
  async recoveryCodesRemaining(@Root() user: User, @Ctx() { em, services, viewer }: Context): Promise<number | null> {
    const self = await viewer.require().catch(() => undefined);
    if (self?.user.id !== user.id) return null;
    return services.mfa.factors.remaining(em, user.id);
  }
}
