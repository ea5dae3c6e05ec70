import type { ApolloClient } from '@apollo/client';
import { createApolloClient } from './apollo';
import { isUnauthenticated } from './errors';
import {
  LoginDocument,
  LogoutDocument,
  RefreshDocument,
  RegisterDocument,
  VerifyMfaDocument,
  type LoginMutation,
  type LoginMutationVariables,
  type LogoutMutation,
  type LogoutMutationVariables,
  type RefreshMutation,
  type RefreshMutationVariables,
  type RegisterMutation,
  type RegisterMutationVariables,
  type MfaChallengeFieldsFragment,
  type MfaMethod,
  type VerifyMfaMutation,
  type VerifyMfaMutationVariables,
} from './operations';

/**
 * Who is signed in, as far as this page knows. The access token lives in this object only: never in
 * localStorage or sessionStorage, where any script on the origin could read it. The refresh token is an
 * HttpOnly cookie (Gatehouse with REFRESH_TOKEN_COOKIE=true) that no script sees at all, so after a
 * reload `resume()` trades it for a new access token.
 */
export class Session {
  readonly client: ApolloClient;
  private accessToken: string | null = null;
  private refreshing: Promise<string> | undefined;

  constructor(graphqlUrl: string) {
    this.client = createApolloClient(graphqlUrl, { current: () => this.accessToken, refresh: () => this.refresh() });
  }

  get signedIn(): boolean {
    return this.accessToken !== null;
  }

  /** On page load: signed in again if the refresh cookie still names a live session. */
  async resume(): Promise<boolean> {
    try {
      await this.refresh();
      return true;
    } catch (error) {
      // No cookie, or its session ended: simply signed out. Anything else (server down) is for the user to see.
      if (isUnauthenticated(error)) return false;
      throw error;
    }
  }

  async register(email: string, password: string): Promise<void> {
    const { data } = await this.client.mutate<RegisterMutation, RegisterMutationVariables>({
      mutation: RegisterDocument,
      variables: { input: { email, password } },
    });
    this.accessToken = required(data).register.accessToken;
  }

  /** Signed in, or, for an account with a second factor, the challenge to complete with `verifyMfa`. */
  async login(email: string, password: string): Promise<MfaChallengeFieldsFragment | null> {
    const { data } = await this.client.mutate<LoginMutation, LoginMutationVariables>({
      mutation: LoginDocument,
      variables: { input: { email, password } },
    });
    const login = required(data).login;
    if (login.__typename === 'MfaChallenge') return login;
    this.accessToken = login.accessToken;
    return null;
  }

  /** The code step of a sign-in that login answered with a challenge. */
  async verifyMfa(challenge: MfaChallengeFieldsFragment, method: MfaMethod, code: string): Promise<void> {
    const { data } = await this.client.mutate<VerifyMfaMutation, VerifyMfaMutationVariables>({
      mutation: VerifyMfaDocument,
      variables: { input: { challengeToken: challenge.challengeToken, method, code } },
    });
    this.accessToken = required(data).verifyMfa.accessToken;
  }

  /** Ends this session on the server, which also clears the refresh cookie. */
  async logout(): Promise<void> {
    try {
      await this.client.mutate<LogoutMutation, LogoutMutationVariables>({ mutation: LogoutDocument });
    } catch (error) {
      // Already ended elsewhere counts as logged out; any other failure leaves the cookie in place, so a
      // reload would sign back in: stay signed in and let the user retry.
      if (!isUnauthenticated(error)) throw error;
    }
    await this.forget();
  }

  /** Drops the token and everything cached for this user, e.g. after the server says the session is over. */
  async forget(): Promise<void> {
    this.accessToken = null;
    await this.client.clearStore();
  }

  /**
   * Exchanges the refresh cookie for a new access token. Every caller at the same moment shares one
   * exchange: the cookie's token works once, and Gatehouse ends a session whose used refresh token comes
   * back outside a short grace window (it looks stolen).
   */
  refresh(): Promise<string> {
    this.refreshing ??= this.exchange().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async exchange(): Promise<string> {
    try {
      // "" = use the cookie; the body's refreshToken comes back "" too.
      const { data } = await this.client.mutate<RefreshMutation, RefreshMutationVariables>({
        mutation: RefreshDocument,
        variables: { refreshToken: '' },
      });
      this.accessToken = required(data).refresh.accessToken;
      return this.accessToken;
    } catch (error) {
      if (isUnauthenticated(error)) this.accessToken = null;
      throw error;
    }
  }
}

function required<T>(data: T | null | undefined): T {
  if (data == null) throw new Error('Gatehouse answered without data');
  return data;
}
