import type { ApolloClient } from '@apollo/client';
import { print } from 'graphql';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { createApolloClient } from './apollo';
import { isUnauthenticated } from './errors';
import {
  LoginDocument,
  LogoutDocument,
  RefreshDocument,
  RegisterDocument,
  RenewLiveTokenDocument,
  SessionEventsDocument,
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
  LoginWithPasskeyDocument,
  PasskeyLoginOptionsDocument,
  type LoginWithPasskeyMutation,
  type LoginWithPasskeyMutationVariables,
  type PasskeyLoginOptionsMutation,
  type PasskeyLoginOptionsMutationVariables,
} from './operations';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';

/**
 * Who is signed in, as far as this page knows. The access token lives in this object only: never in
 * localStorage or sessionStorage, where any script on the origin could read it. The refresh token is an
 * HttpOnly cookie (Gatehouse with REFRESH_TOKEN_COOKIE=true) that no script sees at all, so after a
 * reload `resume()` trades it for a new access token.
 */
export class Session {
  readonly client: ApolloClient;
  private readonly ws: WsClient;
  private accessToken: string | null = null;
  private refreshing: Promise<string> | undefined;
  private watching?: { unsubscribe(): void };
  private ended?: (reason: string) => void;

  constructor(graphqlUrl: string) {
    // The live channel: the same URL over WebSocket. It opens with the first subscription (watch) and
    // sends the access token in connection_init; Gatehouse closes it with 4401 when this session ends.
    this.ws = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      connectionParams: () => ({ authorization: `Bearer ${this.accessToken}` }),
      on: {
        closed: (event) => {
          const { code, reason } = event as CloseEvent;
          if (code === 4401) this.sessionEnded(/expired/.test(reason) ? 'TOKEN_EXPIRED' : 'SESSION_REVOKED');
        },
      },
    });
    this.client = createApolloClient(graphqlUrl, { current: () => this.accessToken, refresh: () => this.refresh() }, this.ws);
  }

  /**
   * Calls `ended` once when this session ends anywhere (logged out in another tab or on another device,
   * revoked, password changed, account disabled), as Gatehouse pushes it: no polling, no request of ours.
   * An access token that merely expired is refreshed, and watching goes on.
   */
  watch(ended: (reason: string) => void): void {
    if (this.watching) return;
    this.ended = ended;
    this.watching = this.client.subscribe({ query: SessionEventsDocument }).subscribe({
      next: ({ data }) => {
        const event = data?.sessionEvents;
        if (event?.type === 'SESSION_REVOKED' && event.current) this.sessionEnded(event.reason ?? 'SESSION_REVOKED');
      },
      // The socket's close (4401) says what happened, if anything did.
      error: () => undefined,
    });
  }

  /** SESSION_REVOKED for this session, or its socket closed with 4401, whichever comes first. */
  private sessionEnded(reason: string): void {
    const ended = this.ended;
    if (!ended || !this.watching) return;
    this.unwatch();
    if (reason !== 'TOKEN_EXPIRED') return ended(reason);
    this.refresh().then(
      () => this.watch(ended),
      () => ended(reason),
    );
  }

  private unwatch(): void {
    this.watching?.unsubscribe();
    this.watching = undefined;
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

  /**
   * Signs in with a passkey the browser offers (discoverable: no email asked): Gatehouse's options to the
   * browser, its assertion back to Gatehouse.
   */
  async signInWithPasskey(): Promise<void> {
    const { data } = await this.client.mutate<PasskeyLoginOptionsMutation, PasskeyLoginOptionsMutationVariables>({
      mutation: PasskeyLoginOptionsDocument,
      variables: {},
    });
    const { challengeId, options } = required(data).passkeyLoginOptions;
    const response = await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON });
    const signedIn = await this.client.mutate<LoginWithPasskeyMutation, LoginWithPasskeyMutationVariables>({
      mutation: LoginWithPasskeyDocument,
      variables: { input: { challengeId, response } },
    });
    this.accessToken = required(signedIn.data).loginWithPasskey.accessToken;
  }

  /** The code step of a sign-in that login answered with a challenge. */
  async verifyMfa(challenge: MfaChallengeFieldsFragment, method: MfaMethod, code: string): Promise<void> {
    const { data } = await this.client.mutate<VerifyMfaMutation, VerifyMfaMutationVariables>({
      mutation: VerifyMfaDocument,
      variables: { input: { challengeToken: challenge.challengeToken, method, code } },
    });
    this.accessToken = required(data).verifyMfa.accessToken;
  }

  /** Ends this session (or every one of the account's) on the server, which also clears the refresh cookie. */
  async logout(scope: 'CURRENT' | 'ALL' = 'CURRENT'): Promise<void> {
    // Our own logout is no news to us: stop listening first.
    this.unwatch();
    try {
      await this.client.mutate<LogoutMutation, LogoutMutationVariables>({ mutation: LogoutDocument, variables: { scope } });
    } catch (error) {
      // Already ended elsewhere counts as logged out; any other failure leaves the cookie in place, so a
      // reload would sign back in: stay signed in and let the user retry.
      if (!isUnauthenticated(error)) throw error;
    }
    await this.forget();
  }

  /** Drops the token and everything cached for this user, e.g. after the server says the session is over. */
  async forget(): Promise<void> {
    this.unwatch();
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
      this.renewLive(this.accessToken);
      return this.accessToken;
    } catch (error) {
      if (isUnauthenticated(error)) this.accessToken = null;
      throw error;
    }
  }

  /** The open socket (if any) adopts the new token, so that it outlives the old one. */
  private renewLive(accessToken: string): void {
    if (!this.watching) return;
    const ignore = () => undefined;
    this.ws.subscribe({ query: print(RenewLiveTokenDocument), variables: { accessToken } }, { next: ignore, error: ignore, complete: ignore });
  }
}

function required<T>(data: T | null | undefined): T {
  if (data == null) throw new Error('Gatehouse answered without data');
  return data;
}
