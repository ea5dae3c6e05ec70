import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { Page } from '../common/pagination';
import type { Context } from '../graphql/context';
import { Role } from '../users/role';
import { SecurityEventConnection } from './security-event-connection.type';
import { SecurityEventStats } from './security-event-stats.type';
import { StatsBucket } from './stats-bucket';
import { SecurityEventType } from './security-event-type';
import { SecurityEvent } from './security-event.entity';

@Resolver()
export class SecurityEventResolver {
  @Authorized(Role.ADMIN)
  @Query(() => SecurityEventConnection, { description: 'ADMIN only. Security events, newest first.' })
  securityEvents(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('type', () => SecurityEventType, { nullable: true }) type: SecurityEventType | null,
    @Arg('userId', () => ID, { nullable: true }) userId: string | null,
    @Ctx() { em, services }: Context,
  ): Promise<Page<SecurityEvent>> {
    return services.events.list(em, { first, after, type, userId });
  }

  @Authorized(Role.ADMIN)
  @Query(() => SecurityEventStats, {
    description:
      'ADMIN only. Events per type and hour or day from `since` (down to its bucket’s start) until `until` (excluded; default now), every bucket included, and the addresses with the most failures. At most 31 days of HOUR buckets, 400 of DAY buckets; `since` not in the future.',
  })
  securityEventStats(
    @Arg('since', () => Date) since: Date,
    @Arg('until', () => Date, { nullable: true }) until: Date | null,
    @Arg('bucket', () => StatsBucket, { defaultValue: StatsBucket.HOUR }) bucket: StatsBucket,
    @Ctx() { em, services }: Context,
  ): Promise<SecurityEventStats> {
    return services.eventStats.stats(em, { since, until, bucket });
  }

  @Authorized()
  @Query(() => SecurityEventConnection, { description: "The signed-in user's own account history, newest first." })
  async myEvents(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { em, services, viewer }: Context,
  ): Promise<Page<SecurityEvent>> {
    return services.events.list(em, { first, after, userId: (await viewer.require()).user.id, forOwner: true });
  }
}
