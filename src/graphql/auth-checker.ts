import type { AuthChecker } from 'type-graphql';
import { forbidden } from '../errors/errors';
import type { Context } from './context';

/**
 * Guards every @Authorized() field. It throws our own errors rather than returning false, so clients see
 * UNAUTHENTICATED with a reason, or FORBIDDEN, never type-graphql's generic errors. The role comes from the
 * database row loaded for this request, not from the token.
 */
export const authChecker: AuthChecker<Context> = async ({ context }, roles) => {
  const { user } = await context.viewer.require();
  if (roles.length > 0 && !roles.includes(user.role)) throw forbidden();
  return true;
};
