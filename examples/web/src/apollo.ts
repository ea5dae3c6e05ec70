import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getOperationAST, OperationTypeNode } from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import { from, switchMap } from 'rxjs';
import { isTokenExpired } from './errors';
import { RefreshDocument } from './operations';

// The refresh mutation's name, read from its typed document: Apollo hands the links a transformed copy of
// the document (__typename added), so the document itself cannot be compared.
const REFRESH = getOperationAST(RefreshDocument)?.name?.value;

/** Where the links get the access token from; implemented by Session. */
export interface AccessTokens {
  /** The token to send, or null when signed out. */
  current(): string | null;
  /** A fresh token from the refresh cookie. Single-flight; rejects when the session is over. */
  refresh(): Promise<string>;
}

interface AuthContext {
  /** The token this attempt was sent with, to tell whether a refresh happened since. */
  sentToken?: string | null;
  retried?: boolean;
}

/**
 * The chain, in request order: retry-on-expiry → bearer → HTTP. The retry link sits before the bearer
 * link so that its retry passes through the bearer link again and picks up the new token. Subscriptions
 * go over the live WebSocket instead (`ws`, see session.ts), which carries its token in connection_init.
 */
export function createApolloClient(graphqlUrl: string, tokens: AccessTokens, ws: WsClient): ApolloClient {
  const bearer = new SetContextLink(({ headers }) => {
    const token = tokens.current();
    return { sentToken: token, headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers };
  });

  const retryOnExpiry = new ErrorLink(({ error, operation, forward }) => {
    const { sentToken, retried } = operation.getContext() as AuthContext;
    // Refresh itself never retries (its failure means the session is over), and nothing retries twice.
    if (!isTokenExpired(error) || retried || operation.operationName === REFRESH) return;
    // A request that was in flight while another one refreshed needs no refresh of its own: the
    // refresh token works once, so every exchange beyond the first would only cost a round trip.
    const fresh = tokens.current() !== sentToken ? Promise.resolve() : tokens.refresh();
    return from(fresh).pipe(
      switchMap(() => {
        operation.setContext({ retried: true } satisfies AuthContext);
        return forward(operation);
      }),
    );
  });

  // credentials: 'include' so that the browser stores the refresh cookie from login/register/refresh
  // responses and sends it back to refresh; the API is another origin (another port) of the same site.
  const http = new HttpLink({ uri: graphqlUrl, credentials: 'include' });

  const overHttp = ApolloLink.from([retryOnExpiry, bearer, http]);
  const link = ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, new GraphQLWsLink(ws), overHttp);
  return new ApolloClient({ link, cache: new InMemoryCache() });
}
