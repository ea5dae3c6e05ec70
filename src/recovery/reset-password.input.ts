import { Field, InputType } from 'type-graphql';
import { PASSWORD_MAX_LENGTH } from '../auth/password-policy';

@InputType({ description: 'A new password, proven by the token of a reset link.' })
export class ResetPasswordInput {
  @Field({ description: 'From the link: the part after "#token=" of APP_URL/reset-password#token=….' })
  token!: string;

  @Field({
    description: `The same rules as register's password: PASSWORD_MIN_LENGTH (8 by default) to ${PASSWORD_MAX_LENGTH} characters after NFKC; not a common password, not containing the email.`,
  })
  newPassword!: string;
}
