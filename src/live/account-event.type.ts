import { Field, ID, ObjectType } from 'type-graphql';
import { AccountEventType } from './account-events';

@ObjectType({ description: "Something that happened to the signed-in user's account, pushed by sessionEvents." })
export class AccountEvent {
  @Field(() => AccountEventType)
  type!: AccountEventType;

  @Field(() => ID, {
    nullable: true,
    description: 'The session it concerns: the one ended (SESSION_REVOKED), the new one (SIGNED_IN), the one that acted.',
  })
  sessionId!: string | null;

  @Field({ description: 'When it happened.' })
  at!: Date;

  @Field({ description: "Whether it concerns this socket's own session. After SESSION_REVOKED with current: true the socket closes (4401)." })
  current!: boolean;

  @Field(() => String, { nullable: true, description: 'For SESSION_REVOKED: why (LOGOUT, PASSWORD_CHANGED, USER_DISABLED, EXPIRED, ...).' })
  reason!: string | null;
}
