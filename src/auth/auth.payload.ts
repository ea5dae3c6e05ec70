import { Field, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity';

@ObjectType({ description: 'What register and login return: an access token and who it is for.' })
export class AuthPayload {
  @Field({ description: 'A JWT to send as "Authorization: Bearer <accessToken>".' })
  accessToken!: string;

  @Field({ description: 'Always "Bearer".' })
  tokenType!: 'Bearer';

  @Field({ description: "When accessToken stops working (the token's exp claim)." })
  expiresAt!: Date;

  @Field(() => User)
  user!: User;
}
