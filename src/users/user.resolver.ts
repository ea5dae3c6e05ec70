import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { AllowedBeforeMfaEnrollment } from '../graphql/step-up.decorator';
import type { Context } from '../graphql/context';
import { Role } from './role';
import { User, type UserSnapshot } from './user.entity';

@Resolver(() => User)
export class UserResolver {
  @Authorized()
  @AllowedBeforeMfaEnrollment()
  @Query(() => User, { description: 'The signed-in user.' })
  async me(@Ctx() { viewer }: Context): Promise<UserSnapshot> {
    return (await viewer.require()).user;
  }

  @Authorized(Role.ADMIN)
  @Query(() => User, { nullable: true, description: 'ADMIN only. Null when there is no such user.' })
  user(@Arg('id', () => ID) id: string, @Ctx() { em, services }: Context): Promise<User | null> {
    return services.users.findById(em, id);
  }
}
