import { Field, InputType } from 'type-graphql';
import { MfaMethod } from '../auth/login-result';

@InputType({ description: 'The second step of a sign-in that login answered with an MfaChallenge.' })
export class VerifyMfaInput {
  @Field({ description: "The challenge's challengeToken." })
  challengeToken!: string;

  @Field(() => MfaMethod)
  method!: MfaMethod;

  @Field({ description: 'TOTP: the 6 digits the app shows. RECOVERY_CODE: one of the codes (dashes and spaces ignored, any case).' })
  code!: string;
}

@InputType({ description: 'Proves the signed-in user again: the password, plus a second factor when the account has one.' })
export class ReauthenticateInput {
  @Field()
  password!: string;

  @Field(() => MfaMethod, { nullable: true, description: 'Required when the account has a second factor.' })
  method?: MfaMethod | null;

  @Field(() => String, { nullable: true })
  code?: string | null;
}
