import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { AuthPayload } from './auth.payload';
import { LoginInput, RegisterInput } from './credentials.input';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Creates an account and signs it in.' })
  register(@Arg('input') input: RegisterInput, @Ctx() { em, services }: Context): Promise<AuthPayload> {
    return services.auth.register(em, input);
  }

  @Mutation(() => AuthPayload, { description: 'Signs in with email and password.' })
  login(@Arg('input') input: LoginInput, @Ctx() { em, services }: Context): Promise<AuthPayload> {
    return services.auth.login(em, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Revokes the access token that made this request, on every instance.' })
  async logout(@Ctx() { em, services, viewer }: Context): Promise<boolean> {
    await services.auth.logout(em, await viewer.require());
    return true;
  }
}
