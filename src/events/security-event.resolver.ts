import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { Page } from '../common/pagination';
import type { Context } from '../graphql/context';
import { Role } from '../users/role';
import { SecurityEventConnection } from './security-event-connection.type';
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
