import { GraphQLJSON } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    'What the browser needs to sign in with a passkey: pass `options` to navigator.credentials.get (startAuthentication), then the result and challengeId to loginWithPasskey.',
})
export class PasskeyLoginOptions {
  @Field({ description: 'Opaque; pass it to loginWithPasskey. Single use, valid 5 minutes.' })
  challengeId!: string;

  @Field(() => GraphQLJSON, {
    description:
      'PublicKeyCredentialRequestOptionsJSON. Without an email, allowCredentials is empty: the browser offers its discoverable passkeys (with mediation: "conditional", in the username field\'s autofill).',
  })
  options!: unknown;
}
