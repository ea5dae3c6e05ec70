import { DirectiveLocation, GraphQLDirective, type GraphQLField } from 'graphql';
import { Extensions, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import type { Context } from './context';

// Field extensions the decorators below set. The auth checker and the schema printer read them from the
// built schema, so each requirement is declared once, on its field.
const RECENT_AUTH = 'requiresRecentAuth';
const BEFORE_ENROLLMENT = 'allowedBeforeMfaEnrollment';

interface RecentAuthOptions {
  /**
   * The path of an argument (e.g. "input.currentPassword") that stands in for a recent sign-in when given: the current password, which
   * the service then checks. Only for an account without a second factor (a password alone is not its
   * highest level).
   */
  orPassword?: string;
}

/** The value at a dotted path of the field's arguments ("input.currentPassword"). */
const argumentAt = (args: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), args);

/** Declared in the schema (schema.graphql shows it on every field that requires it). */
export const REQUIRES_RECENT_AUTH_DIRECTIVE = new GraphQLDirective({
  name: RECENT_AUTH,
  description:
    "The field needs a recent authentication: an access token whose auth_time is within REAUTH_WINDOW, at the account's highest level (aal 2 when it has a second factor). Otherwise UNAUTHENTICATED with reason REAUTHENTICATION_REQUIRED: call reauthenticate, then retry.",
  locations: [DirectiveLocation.FIELD_DEFINITION],
});

/**
 * Step-up: the field needs a recent authentication (AuthService.assertRecentAuthentication). Put it next
 * to @Authorized(), which runs first.
 */
export function RequiresRecentAuth(options: RecentAuthOptions = {}): MethodDecorator {
  const check: MiddlewareFn<Context> = async ({ context, args }, next) => {
    const { em, services, viewer } = context;
    const signedIn = await viewer.require();
    const password = options.orPassword ? argumentAt(args, options.orPassword) : undefined;
    const passwordStandsIn = password !== null && password !== undefined && !(await services.auth.hasSecondFactor(em, signedIn.user.id));
    if (!passwordStandsIn) await services.auth.assertRecentAuthentication(em, signedIn);
    return next();
  };
  return (target, key, descriptor) => {
    Extensions({ [RECENT_AUTH]: true })(target, key, descriptor);
    UseMiddleware(check)(target, key, descriptor);
  };
}

/** REQUIRE_MFA_FOR_ROLES: the field stays open to a session that must first enroll a second factor. */
export const AllowedBeforeMfaEnrollment = (): MethodDecorator => Extensions({ [BEFORE_ENROLLMENT]: true });

export const requiresRecentAuth = (field: GraphQLField<unknown, unknown>): boolean => field.extensions[RECENT_AUTH] === true;
export const allowedBeforeMfaEnrollment = (field: GraphQLField<unknown, unknown> | undefined): boolean =>
  field?.extensions[BEFORE_ENROLLMENT] === true;
