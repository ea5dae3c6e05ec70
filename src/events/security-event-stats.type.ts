import { Field, Int, ObjectType } from 'type-graphql';
import { SecurityEventType, Severity } from './security-event-type';
import { StatsBucket } from './stats-bucket';

@ObjectType({ description: 'How many events happened in one bucket.' })
export class StatsPoint {
  @Field({ description: 'The bucket’s first instant (UTC, on the hour or at midnight).' })
  start!: Date;

  @Field(() => Int, { description: 'Events first seen in the bucket, repeats included (the sum of their `count`).' })
  count!: number;
}

@ObjectType({ description: 'One event type over the range.' })
export class SecurityEventSeries {
  @Field(() => SecurityEventType)
  type!: SecurityEventType;

  @Field(() => Severity)
  severity!: Severity;

  @Field(() => Int, { description: 'The sum of its points.' })
  total!: number;

  @Field(() => [StatsPoint], { description: 'Every bucket of the range, oldest first, zeros included.' })
  points!: StatsPoint[];
}

@ObjectType({ description: 'A client address that failed: failed logins and second factors, token reuse, lockouts.' })
export class FailureSource {
  @Field()
  ip!: string;

  @Field(() => Int)
  count!: number;

  @Field({ description: 'Its latest failure (the latest repeat of its latest event, which may lie after `until`).' })
  lastSeenAt!: Date;
}

@ObjectType({
  description:
    'Security events counted by type and time bucket, in SQL. An event is counted in the bucket of its first occurrence (`createdAt`) with all its repeats (`count`): a deduplicated row stands for `count` events, and repeats within the dedupe window land in the bucket it started in.',
})
export class SecurityEventStats {
  @Field({ description: 'The start of the range: the `since` asked for, down to the start of its bucket (UTC).' })
  since!: Date;

  @Field({ description: 'The end of the range (excluded): the `until` asked for, or the time of the request.' })
  until!: Date;

  @Field(() => StatsBucket)
  bucket!: StatsBucket;

  @Field(() => Int, { description: 'Every event in the range (the sum of every series).' })
  total!: number;

  @Field(() => [SecurityEventSeries], { description: 'One per type that occurs in the range, the biggest total first.' })
  series!: SecurityEventSeries[];

  @Field(() => [FailureSource], {
    description: 'Up to 10 client addresses by failures in the range, the most first (events without an address are left out).',
  })
  topFailureSources!: FailureSource[];
}
