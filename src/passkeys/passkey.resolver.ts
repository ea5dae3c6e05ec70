import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { AuthPayload } from '../auth/auth.payload';
import type { Context } from '../graphql/context';
import { RequiresRecentAuth } from '../graphql/step-up.decorator';
import { Passkey } from './passkey.entity';
import { LoginWithPasskeyInput } from './passkey.input';
import { PasskeyLoginOptions } from './passkey.type';

@Resolver()
export class PasskeyResolver {
  @Authorized()
  @Query(() => [Passkey], { description: "The signed-in user's passkeys, oldest first." })
  async passkeys(@Ctx() { em, services, viewer }: Context): Promise<Passkey[]> {
    return services.passkeys.list(em, (await viewer.require()).user.id);
  }

  @Authorized()
  @RequiresRecentAuth()
  @Mutation(() => GraphQLJSON, {
    description:
      'PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create (startRegistration): a discoverable credential, user verification preferred, the existing passkeys excluded. Its challenge works once, for 5 minutes.',
  })
  async passkeyRegistrationOptions(@Ctx() { em, services, viewer }: Context): Promise<unknown> {
    return services.passkeys.registrationOptions(em, await viewer.require());
  }

  @Authorized()
  @Mutation(() => Passkey, { description: "Registers the browser's answer to passkeyRegistrationOptions (RegistrationResponseJSON)." })
  async registerPasskey(
    @Arg('response', () => GraphQLJSON) response: unknown,
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Ctx() { em, services, viewer, client }: Context,
  ): Promise<Passkey> {
    return services.passkeys.register(em, await viewer.require(), response, name, client);
  }

  @Authorized()
  @Mutation(() => Passkey)
  async renamePasskey(@Arg('id', () => ID) id: string, @Arg('name') name: string, @Ctx() { em, services, viewer }: Context): Promise<Passkey> {
    return services.passkeys.rename(em, await viewer.require(), id, name);
  }

  @Authorized()
  @RequiresRecentAuth()
  @Mutation(() => Boolean, { description: 'LAST_SIGN_IN_METHOD when the account has no password and no other passkey.' })
  async removePasskey(@Arg('id', () => ID) id: string, @Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    return services.passkeys.remove(em, await viewer.require(), id, client);
  }

  @Authorized()
  @RequiresRecentAuth()
  @Mutation(() => Boolean, {
    description: 'Removes the password of an account that has a passkey (LAST_SIGN_IN_METHOD otherwise); a password reset by email sets a new one.',
  })
  async removePassword(@Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    return services.passkeys.removePassword(em, await viewer.require(), client);
  }

  @Mutation(() => PasskeyLoginOptions, {
    description: "Starts a sign-in with a passkey. With an email, the account's passkeys are offered; without, the browser's discoverable ones.",
  })
  async passkeyLoginOptions(
    @Arg('email', () => String, { nullable: true }) email: string | null,
    @Ctx() { em, services, client }: Context,
  ): Promise<PasskeyLoginOptions> {
    return services.passkeys.loginOptions(em, email, client);
  }

  @Mutation(() => AuthPayload, {
    description:
      'Signs in with a passkey: amr ["hwk"] (device-bound) or ["swk"] (synced), with "mfa" and aal 2 when the authenticator verified the user.',
  })
  async loginWithPasskey(@Arg('input') input: LoginWithPasskeyInput, @Ctx() { em, services, client, refreshCookie }: Context): Promise<AuthPayload> {
    return refreshCookie.deliver(await services.passkeys.login(em, input, client));
  }
}
