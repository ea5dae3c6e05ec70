import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { SessionView, sessionView } from './session.type';

@Resolver()
export class SessionResolver {
  @Authorized()
  @Query(() => [SessionView], { description: "The signed-in user's active sessions, most recently used first." })
  async sessions(@Ctx() { em, services, viewer }: Context): Promise<SessionView[]> {
    const signedIn = await viewer.require();
    const sessions = await services.sessionControl.list(em, signedIn);
    return sessions.map((session) => sessionView(session, services.sessions.endsAt(session), signedIn.sessionId));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Ends one of your sessions. NOT_FOUND for any id that is not one of yours.' })
  async revokeSession(@Arg('id', () => ID) id: string, @Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    await services.sessionControl.revoke(em, await viewer.require(), id, client);
    return true;
  }
}
