import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Page } from '../common/pagination';
import type { Context } from '../graphql/context';
import { Role } from '../users/role';
import { UserConnection } from './user-connection.type';
import { User } from '../users/user.entity';
import { SessionView, sessionView } from '../sessions/session.type';

@Resolver()
export class AdminResolver {
  @Authorized(Role.ADMIN)
  @Query(() => UserConnection, { description: 'ADMIN only. Users, newest first; `search` matches part of the email.' })
  users(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Ctx() { em, services }: Context,
  ): Promise<Page<User>> {
    return services.admin.listUsers(em, { first, after, search });
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => User, { description: 'ADMIN only. Effective on the user’s next request. LAST_ADMIN when it would leave no enabled ADMIN.' })
  async setUserRole(
    @Arg('id', () => ID) id: string,
    @Arg('role', () => Role) role: Role,
    @Ctx() { em, services, viewer, client }: Context,
  ): Promise<User> {
    return services.admin.setRole(em, (await viewer.require()).user, id, role, client);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => User, { description: 'ADMIN only. The user cannot log in or refresh, and every session ends at once.' })
  async disableUser(@Arg('id', () => ID) id: string, @Ctx() { em, services, viewer, client }: Context): Promise<User> {
    return services.admin.disable(em, (await viewer.require()).user, id, client);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => User, { description: 'ADMIN only. The user can log in again (their old sessions stay ended).' })
  async enableUser(@Arg('id', () => ID) id: string, @Ctx() { em, services, viewer, client }: Context): Promise<User> {
    return services.admin.enable(em, (await viewer.require()).user, id, client);
  }

  @Authorized(Role.ADMIN)
  @Query(() => [SessionView], { description: 'ADMIN only. The user’s active sessions, last opened first. NOT_FOUND when there is no such user.' })
  async userSessions(@Arg('userId', () => ID) userId: string, @Ctx() { em, services, viewer }: Context): Promise<SessionView[]> {
    const { sessionId } = await viewer.require();
    const sessions = await services.userSessions.list(em, userId);
    return sessions.map((session) => sessionView(session, services.sessions.endsAt(session), sessionId));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, {
    description:
      'ADMIN only. Ends one of the user’s sessions at once, as logout does (its tokens stop working on every instance, its live sockets close). NOT_FOUND when the session is not that user’s.',
  })
  async revokeUserSession(
    @Arg('userId', () => ID) userId: string,
    @Arg('sessionId', () => ID) sessionId: string,
    @Ctx() { em, services, viewer, client }: Context,
  ): Promise<boolean> {
    return services.userSessions.revoke(em, await viewer.require(), userId, sessionId, client);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Int, { description: 'ADMIN only. Ends every session of the user at once (the account stays enabled); returns how many ended.' })
  async revokeUserSessions(@Arg('userId', () => ID) userId: string, @Ctx() { em, services, viewer, client }: Context): Promise<number> {
    return services.userSessions.revokeAll(em, await viewer.require(), userId, client);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, {
    description:
      'ADMIN only. Mails the user the password reset link requestPasswordReset mails. MAIL_UNAVAILABLE without mail; BAD_USER_INPUT for a disabled account.',
  })
  async sendPasswordResetMail(@Arg('userId', () => ID) userId: string, @Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    return services.passwordReset.sendByAdmin(em, await viewer.require(), userId, client);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, {
    description:
      'ADMIN only. Mails the user the verification link requestEmailVerification mails. BAD_USER_INPUT when the address is verified already or the account disabled; MAIL_UNAVAILABLE without mail.',
  })
  async sendVerificationMail(@Arg('userId', () => ID) userId: string, @Ctx() { em, services, viewer, client }: Context): Promise<boolean> {
    return services.verification.sendByAdmin(em, await viewer.require(), userId, client);
  }
}
