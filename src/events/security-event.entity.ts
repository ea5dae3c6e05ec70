import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { FAILURE_TYPES, SecurityEventType, Severity } from './security-event-type';

/**
 * Something security-relevant that happened to an account. Repeats of the same event (same type, user,
 * session, IP and details) within the dedupe window update one row's `count` instead of adding rows.
 */
@ObjectType({ description: 'A security-relevant event on an account.' })
@Entity({ tableName: 'security_events' })
@Index({ name: 'security_events_user_id_created_at_index', properties: ['userId', 'createdAt'] })
// What securityEventStats reads, so that it reads no table row (migration Migration20261208090000): the
// events by time with their type and count, and the failures (FAILURE_TYPES) by time with their address.
@Index({
  name: 'security_events_created_at_stats_index',
  expression: 'create index "security_events_created_at_stats_index" on "security_events" ("created_at") include ("type", "count")',
})
@Index({
  name: 'security_events_failures_index',
  expression: `create index "security_events_failures_index" on "security_events" ("created_at") include ("ip", "count", "last_seen_at") where "type" in (${FAILURE_TYPES.map((type) => `'${type}'`).join(', ')})`,
})
export class SecurityEvent {
  [OptionalProps]?: 'id' | 'createdAt' | 'lastSeenAt' | 'count' | 'userId' | 'sessionId' | 'ip' | 'userAgent' | 'details';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => SecurityEventType)
  @Enum({ items: () => SecurityEventType })
  type!: SecurityEventType;

  @Field(() => Severity)
  @Enum({ items: () => Severity })
  severity!: Severity;

  @Field(() => ID, { nullable: true })
  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  @Field(() => ID, { nullable: true })
  @Property({ type: 'uuid', nullable: true })
  sessionId: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  userAgent: string | null = null;

  @Field(() => GraphQLJSONObject, { description: 'Event-specific facts, e.g. the logout scope or the new role.' })
  @Property({ type: 'jsonb' })
  details: Record<string, unknown> = {};

  @Field({ description: 'The first occurrence.' })
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field({ description: 'The latest repeat within the dedupe window.' })
  @Property({ type: 'timestamptz' })
  lastSeenAt: Date = new Date();

  @Field(() => Int, { description: 'How many times it happened within the dedupe window.' })
  @Property({ type: 'integer' })
  count: number = 1;

  /** A hash of type, user, session, IP, details and window: one row per repeat window. */
  @Unique({ name: 'security_events_dedupe_key_unique' })
  @Property({ type: 'text', hidden: true })
  dedupeKey!: string;
}
