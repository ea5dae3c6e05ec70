import { Field, ID, ObjectType } from 'type-graphql';
import type { Session } from './session.entity';

@ObjectType('Session', { description: 'A signed-in device or browser: one login and its refreshes.' })
export class SessionView {
  @Field(() => ID)
  id!: string;

  @Field()
  createdAt!: Date;

  @Field({ description: 'The last login or refresh.' })
  lastUsedAt!: Date;

  @Field({ description: 'When it ends unless refreshed: the idle timeout or its absolute end, whichever is first.' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field({ description: 'True for the session of the token that made this request.' })
  current!: boolean;
}

/** A session as the API shows it; `current` when it is the session of the request's token. */
export const sessionView = (session: Session, expiresAt: Date, currentSessionId: string): SessionView => ({
  id: session.id,
  createdAt: session.createdAt,
  lastUsedAt: session.lastUsedAt,
  expiresAt,
  userAgent: session.userAgent,
  ip: session.ip,
  current: session.id === currentSessionId,
});
