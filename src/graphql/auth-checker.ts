import type { AuthChecker } from 'type-graphql';
import { allowedBeforeMfaEnrollment } from './step-up.decorator';
import { forbidden } from '../errors/errors';
import type { Context } from './context';

/**
 * Guards every @Authorized() field. It throws our own errors rather than returning false, so clients see
 * UNAUTHENTICATED with a reason, or FORBIDDEN, never type-graphql's generic errors. The role comes from the
 * database row loaded for this request, not from the token. A session that REQUIRE_MFA_FOR_ROLES confines
 * to enrolling a second factor reaches only the fields marked @AllowedBeforeMfaEnrollment.
 */
export const authChecker: AuthChecker<Context> = async ({ context, info }, roles) => {
  const viewer = await context.viewer.require();
  if (!allowedBeforeMfaEnrollment(info.parentType.getFields()[info.fieldName])) context.services.auth.assertEnrollmentNotRequired(viewer);
  if (roles.length > 0 && !roles.includes(viewer.user.role)) throw forbidden();
  return true;
};
