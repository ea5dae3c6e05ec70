import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Page } from '../common/pagination';
import type { Context } from '../graphql/context';
import { Role } from '../users/role';
import { UserConnection } from './user-connection.type';
import { User } from '../users/user.entity';

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
}
