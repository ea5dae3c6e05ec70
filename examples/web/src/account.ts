import type { ApolloClient } from '@apollo/client';
import {
  ConfirmTotpEnrollmentDocument,
  MeDocument,
  MySecondFactorDocument,
  StartTotpEnrollmentDocument,
  type ConfirmTotpEnrollmentMutation,
  type ConfirmTotpEnrollmentMutationVariables,
  type MySecondFactorQuery,
  type StartTotpEnrollmentMutation,
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
  mfaEnabled: boolean;
}

/** A TOTP secret to show once: the QR code (an SVG document) and the key for typing. */
export type TotpEnrollment = StartTotpEnrollmentMutation['startTotpEnrollment'];

/** Reads and changes the signed-in user's account. The client's links add the token and refresh it. */
export class Account {
  constructor(private readonly client: ApolloClient) {}

  /** Both at once; always from the server, since sessions change on other devices. */
  async load(): Promise<AccountView> {
    const [me, sessions, factor] = await Promise.all([
      this.client.query<MeQuery>({ query: MeDocument, fetchPolicy: 'network-only' }),
      this.client.query<SessionsQuery>({ query: SessionsDocument, fetchPolicy: 'network-only' }),
      this.client.query<MySecondFactorQuery>({ query: MySecondFactorDocument, fetchPolicy: 'network-only' }),
    ]);
    if (!me.data || !sessions.data || !factor.data) throw new Error('Gatehouse answered without data');
    return { user: me.data.me, sessions: sessions.data.sessions, mfaEnabled: factor.data.me.mfaEnabled };
  }

  async startTotpEnrollment(): Promise<TotpEnrollment> {
    const { data } = await this.client.mutate<StartTotpEnrollmentMutation>({ mutation: StartTotpEnrollmentDocument });
    if (!data) throw new Error('Gatehouse answered without data');
    return data.startTotpEnrollment;
  }

  /** Turns TOTP on with the app's code; returns the recovery codes, which are shown only this once. */
  async confirmTotpEnrollment(code: string): Promise<string[]> {
    const { data } = await this.client.mutate<ConfirmTotpEnrollmentMutation, ConfirmTotpEnrollmentMutationVariables>({
      mutation: ConfirmTotpEnrollmentDocument,
      variables: { code },
    });
    if (!data) throw new Error('Gatehouse answered without data');
    return data.confirmTotpEnrollment.codes;
  }

  async revokeSession(id: string): Promise<void> {
    await this.client.mutate<RevokeSessionMutation, RevokeSessionMutationVariables>({
      mutation: RevokeSessionDocument,
      variables: { id },
    });
  }
}
