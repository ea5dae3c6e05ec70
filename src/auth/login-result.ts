import { GraphQLJSON } from 'graphql-scalars';
import { createUnionType, Field, ObjectType, registerEnumType } from 'type-graphql';
import { AuthPayload } from './auth.payload';

export enum MfaMethod {
  TOTP = 'TOTP',
  RECOVERY_CODE = 'RECOVERY_CODE',
  /** A passkey assertion (the browser's AuthenticationResponseJSON, as JSON text) to MfaChallenge.passkeyOptions. */
  PASSKEY = 'PASSKEY',
}

registerEnumType(MfaMethod, { name: 'MfaMethod', description: 'A second factor verifyMfa and reauthenticate accept.' });

@ObjectType({
  description: 'The password was right and the account has a second factor: no token and no session exist yet. Complete the sign-in with verifyMfa.',
})
export class MfaChallenge {
  @Field({
    description:
      'Opaque; pass it to verifyMfa. Single use, valid until expiresAt, only from the client (IP and user agent) that logged in; 5 wrong codes end it.',
  })
  challengeToken!: string;

  @Field(() => [MfaMethod], { description: 'The methods verifyMfa accepts for this account.' })
  methods!: MfaMethod[];

  @Field()
  expiresAt!: Date;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'When the account has passkeys: PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get; send the assertion to verifyMfa as method PASSKEY, code JSON.stringify(credential).',
  })
  passkeyOptions?: unknown;
}

export const LoginResult = createUnionType({
  name: 'LoginResult',
  description: 'What login returns: tokens (AuthPayload), or, for an account with a second factor, a challenge to complete with verifyMfa.',
  types: () => [AuthPayload, MfaChallenge] as const,
  resolveType: (value) => ('challengeToken' in value ? MfaChallenge : AuthPayload),
});

export type LoginResult = AuthPayload | MfaChallenge;
