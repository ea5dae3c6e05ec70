// Handling both answers of `login` (a union since issue 13): tokens, or a second-factor challenge.

/** Any selection of `login`'s result that asks for `__typename` (the SDK's Login does). */
export type LoginResultShape = { __typename: 'AuthPayload' } | { __typename: 'MfaChallenge' };

export type Authenticated<T extends LoginResultShape> = Extract<T, { __typename: 'AuthPayload' }>;
export type MfaRequired<T extends LoginResultShape> = Extract<T, { __typename: 'MfaChallenge' }>;

export interface LoginHandlers<T extends LoginResultShape, R> {
  /** Signed in: the token pair and user. */
  authenticated: (payload: Authenticated<T>) => R;
  /** The account has a second factor: ask for a code, then call verifyMfa with the challenge's token. */
  mfaRequired: (challenge: MfaRequired<T>) => R;
}

/**
 * Calls the handler of `result`'s branch. Both handlers are required, so an app written against it cannot
 * forget the second step:
 *
 *   const { login } = await sdk.Login({ input });
 *   matchLogin(login, { authenticated: (p) => save(p), mfaRequired: (c) => askForCode(c) });
 */
export function matchLogin<T extends LoginResultShape, R>(result: T, handlers: LoginHandlers<T, R>): R {
  switch (result.__typename) {
    case 'AuthPayload':
      return handlers.authenticated(result as Authenticated<T>);
    case 'MfaChallenge':
      return handlers.mfaRequired(result as MfaRequired<T>);
    default:
      return unreachable(result);
  }
}

/** Type guard for the branches, where a `switch` or `if` reads better than matchLogin. */
export const isMfaChallenge = <T extends LoginResultShape>(result: T): result is MfaRequired<T> => result.__typename === 'MfaChallenge';

function unreachable(value: never): never {
  throw new Error(`unexpected login result ${JSON.stringify(value)}`);
}
