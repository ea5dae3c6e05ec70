import { Field, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity';
import { AssuranceInfo } from './assurance.type';

@ObjectType({ description: 'What register, login, verifyMfa, refresh, reauthenticate and changePassword return: a token pair and who it is for.' })
export class AuthPayload {
  @Field({ description: 'A JWT to send as "Authorization: Bearer <accessToken>".' })
  accessToken!: string;

  @Field({ description: 'Always "Bearer".' })
  tokenType!: 'Bearer';

  @Field({ description: "When accessToken stops working (the token's exp claim)." })
  expiresAt!: Date;

  @Field({
    description:
      'Opaque; exchange it with the refresh mutation for a new pair. Each works once. Empty when the server sends it as an HttpOnly cookie instead (REFRESH_TOKEN_COOKIE).',
  })
  refreshToken!: string;

  @Field({ description: 'When the session ends unless refreshed: the idle timeout or its absolute end, whichever is first.' })
  refreshTokenExpiresAt!: Date;

  @Field(() => User)
  user!: User;

  @Field(() => AssuranceInfo)
  assurance!: AssuranceInfo;
}
