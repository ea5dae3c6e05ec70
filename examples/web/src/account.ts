import type { ApolloClient } from '@apollo/client';
import {
  MeDocument,
  RevokeSessionDocument,
  SessionsDocument,
  type MeQuery,
  type RevokeSessionMutation,
  type RevokeSessionMutationVariables,
  type SessionInfo,
  type SessionsQuery,
  type User,
} from './operations';

/** What the signed-in screen shows. */
export interface AccountView {
  user: User;
  sessions: SessionInfo[];
}

/** Reads and changes the signed-in user's account. The client's links add the token and refresh it. */
export class Account {
  constructor(private readonly client: ApolloClient) {}

  /** Both at once; always from the server, since sessions change on other devices. */
  async load(): Promise<AccountView> {
    const [me, sessions] = await Promise.all([
      this.client.query<MeQuery>({ query: MeDocument, fetchPolicy: 'network-only' }),
      this.client.query<SessionsQuery>({ query: SessionsDocument, fetchPolicy: 'network-only' }),
    ]);
    if (!me.data || !sessions.data) throw new Error('Gatehouse answered without data');
    return { user: me.data.me, sessions: sessions.data.sessions };
  }

  async revokeSession(id: string): Promise<void> {
    await this.client.mutate<RevokeSessionMutation, RevokeSessionMutationVariables>({
      mutation: RevokeSessionDocument,
      variables: { id },
    });
  }
}
