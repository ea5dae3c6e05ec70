import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "How the session's user proved who they are: what the access token's amr, aal and auth_time claims say." })
export class AssuranceInfo {
  @Field(() => Int, {
    description: 'Authenticator assurance level: 2 after a second factor, else 1 (the token\'s "aal"; "acr" is the same as a string).',
  })
  level!: number;

  @Field(() => [String], {
    description: 'RFC 8176 methods (the token\'s "amr"): "pwd" for a password, "otp" for a TOTP code, "mfa" with any second factor.',
  })
  methods!: string[];

  @Field({ description: 'When the user last signed in or reauthenticated (the token\'s "auth_time").' })
  authenticatedAt!: Date;
}
