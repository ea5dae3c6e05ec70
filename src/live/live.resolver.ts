import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import { ErrorCode } from '../errors/codes';
import { forbidden } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import { SecurityEvent } from '../events/security-event.entity';
import type { RequestContext } from '../graphql/request-context';
import { Role } from '../users/role';
import { AccountEvent } from './account-event.type';
import { isLive } from './live-context';
import { SUBSCRIPTIONS_ENDPOINT as LIVE_PATH } from '../graphql/no-http-subscriptions';

const overWebSocketOnly = (field: string) =>
  new GraphQLError(`${field} is served over the WebSocket at ${LIVE_PATH} (graphql-ws protocol), not over HTTP.`, {
    extensions: { code: ErrorCode.BAD_REQUEST },
  });

function liveOf(context: RequestContext, field: string) {
  if (!isLive(context)) throw overWebSocketOnly(field);
  return context.live;
}

@Resolver()
export class LiveResolver {
  @Authorized()
  @Subscription(() => AccountEvent, {
    description:
      "The signed-in user's account, live: SESSION_REVOKED for every session that ends (current: true for this socket's own, after which the socket closes with 4401), SIGNED_IN, PASSWORD_CHANGED, ROLE_CHANGED, EMAIL_CHANGED, PASSWORD_RESET. Over the WebSocket only.",
    subscribe: ({ context }) => liveOf(context as RequestContext, 'sessionEvents').connection.accountStream(),
  })
  sessionEvents(@Root() event: AccountEvent): AccountEvent {
    return event;
  }

  @Authorized(Role.ADMIN)
  @Subscription(() => SecurityEvent, {
    description:
      'ADMIN only. Security events as they are written (a repeat within the dedupe window comes again, with its count), optionally of one type. Over the WebSocket only; ends with FORBIDDEN if the role is taken away.',
    subscribe: async ({ context, args }) => {
      const live = liveOf(context as RequestContext, 'securityEvents');
      // The role read for this subscribe (authChecker) is the database's; the socket keeps it for role changes.
      const { user } = await (context as RequestContext).viewer.require();
      if (user.role !== Role.ADMIN) throw forbidden();
      return live.connection.adminStream((args as { type?: SecurityEventType | null }).type ?? null);
    },
  })
  securityEvents(
    @Root() event: SecurityEvent,
    @Arg('type', () => SecurityEventType, { nullable: true, description: 'Only events of this type.' }) _type: SecurityEventType | null,
  ): SecurityEvent {
    return event;
  }

  @Mutation(() => Date, {
    description:
      'Over the live WebSocket only: adopts a fresh access token (of the same user) on this socket, so that it outlives the token it was opened with. Returns the new expiry; the socket closes with 4401 at the expiry of its token.',
  })
  async renewLiveToken(@Arg('accessToken') accessToken: string, @Ctx() context: RequestContext): Promise<Date> {
    const viewer = await liveOf(context, 'renewLiveToken').renew(accessToken);
    return new Date(viewer.claims.exp * 1000);
  }
}
