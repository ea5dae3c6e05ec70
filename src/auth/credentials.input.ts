import { Field, InputType } from 'type-graphql';
import { PASSWORD_MAX_LENGTH } from './password-policy';

const PASSWORD_RULE = `PASSWORD_MIN_LENGTH (8 by default) to ${PASSWORD_MAX_LENGTH} characters, counted in Unicode code points after NFKC normalisation; not a common password, not containing the email.`;

@InputType({ description: 'A new account.' })
export class RegisterInput {
  @Field({ description: 'Trimmed, NFKC-normalised and lower-cased before use; at most 254 characters.' })
  email!: string;

  @Field({ description: PASSWORD_RULE })
  password!: string;
}

@InputType({ description: 'Credentials of an existing account.' })
export class LoginInput {
  @Field({ description: 'Matched case-insensitively.' })
  email!: string;

  @Field()
  password!: string;
}

@InputType({ description: 'A new password, proven by the current one.' })
export class ChangePasswordInput {
  @Field()
  currentPassword!: string;

  @Field({ description: PASSWORD_RULE })
  newPassword!: string;
}
