import { GraphQLJSON } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A sign-in with a passkey: the answer to passkeyLoginOptions.' })
export class LoginWithPasskeyInput {
  @Field({ description: "passkeyLoginOptions' challengeId." })
  challengeId!: string;

  @Field(() => GraphQLJSON, { description: 'The assertion as the browser gives it: PublicKeyCredential.toJSON() (AuthenticationResponseJSON).' })
  response!: unknown;
}
