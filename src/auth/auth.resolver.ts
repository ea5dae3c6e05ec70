import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { LogoutScope } from '../sessions/logout-scope';
import { AuthPayload } from './auth.payload';
import { ChangePasswordInput, LoginInput, RegisterInput } from './credentials.input';
import { LoginResult } from './login-result';
import { AllowedBeforeMfaEnrollment, RequiresRecentAuth } from '../graphql/step-up.decorator';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Creates an account and signs it in (a new session).' })
  async register(@Arg('input') input: RegisterInput, @Ctx() { em, services, client, refreshCookie }: Context): Promise<AuthPayload> {
    return refreshCookie.deliver(await services.auth.register(em, input, client));
  }

  @Mutation(() => LoginResult, {
    description:
      'Signs in with email and password: tokens of a new session (AuthPayload), or, when the account has a second factor, an MfaChallenge to complete with verifyMfa (no token or session exists until then).',
  })
  async login(@Arg('input') input: LoginInput, @Ctx() { em, services, client, refreshCookie }: Context): Promise<LoginResult> {
    const result = await services.auth.login(em, input, client);
    return 'challengeToken' in result ? result : refreshCookie.deliver(result);
  }

  @Mutation(() => AuthPayload, {
    description: 'Exchanges a refresh token for a new token pair. Each refresh token works once. Pass "" to use the refresh cookie.',
  })
  async refresh(@Arg('refreshToken') refreshToken: string, @Ctx() { em, services, client, refreshCookie }: Context): Promise<AuthPayload> {
    const presented = refreshToken || refreshCookie.read() || '';
    return refreshCookie.deliver(await services.auth.refresh(em, presented, client));
  }

  @Authorized()
  @RequiresRecentAuth({ orPassword: 'input.currentPassword' })
  @Mutation(() => AuthPayload, { description: 'Changes the password, ends every session, and returns tokens of a fresh one.' })
  async changePassword(
    @Arg('input') input: ChangePasswordInput,
    @Ctx() { em, services, viewer, client, refreshCookie }: Context,
  ): Promise<AuthPayload> {
    return refreshCookie.deliver(await services.auth.changePassword(em, await viewer.require(), input, client));
  }

  @Authorized()
  @AllowedBeforeMfaEnrollment()
  @Mutation(() => Boolean, {
    description: 'Ends sessions (by default the current one) and revokes their tokens, on every instance, before it returns.',
  })
  async logout(
    @Arg('scope', () => LogoutScope, { defaultValue: LogoutScope.CURRENT }) scope: LogoutScope,
    @Ctx() { em, services, viewer, client, refreshCookie }: Context,
  ): Promise<boolean> {
    await services.sessionControl.logout(em, await viewer.require(), scope, client);
    if (scope !== LogoutScope.OTHERS) refreshCookie.clear();
    return true;
  }
}
