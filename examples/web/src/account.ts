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
  PasskeysDocument,
  PasskeyRegistrationOptionsDocument,
  RegisterPasskeyDocument,
  type PasskeysQuery,
  type PasskeyRegistrationOptionsMutation,
  type RegisterPasskeyMutation,
  type RegisterPasskeyMutationVariables,
} from './operations';
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';

/** What the signed-in screen shows. */
export interface AccountView {
  user: User;
  sessions: SessionInfo[];
  mfaEnabled: boolean;
  passkeys: PasskeysQuery['passkeys'];
}

/** A TOTP secret to show once: the QR code (an SVG document) and the key for typing. */
export type TotpEnrollment = StartTotpEnrollmentMutation['startTotpEnrollment'];

/** Reads and changes the signed-in user's account. The client's links add the token and refresh it. */
export class Account {
  constructor(private readonly client: ApolloClient) {}

  /** Both at once; always from the server, since sessions change on other devices. */
  async load(): Promise<AccountView> {
    const [me, sessions, factor, passkeys] = await Promise.all([
      this.client.query<MeQuery>({ query: MeDocument, fetchPolicy: 'network-only' }),
      this.client.query<SessionsQuery>({ query: SessionsDocument, fetchPolicy: 'network-only' }),
      this.client.query<MySecondFactorQuery>({ query: MySecondFactorDocument, fetchPolicy: 'network-only' }),
      this.client.query<PasskeysQuery>({ query: PasskeysDocument, fetchPolicy: 'network-only' }),
    ]);
    if (!me.data || !sessions.data || !factor.data || !passkeys.data) throw new Error('Gatehouse answered without data');
    return { user: me.data.me, sessions: sessions.data.sessions, mfaEnabled: factor.data.me.mfaEnabled, passkeys: passkeys.data.passkeys };
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

  /**
   * Registers a passkey of this device: Gatehouse's options to the browser (which asks the authenticator,
   * and the user to confirm), the browser's answer back to Gatehouse. Needs a recent sign-in (step-up).
   */
  async addPasskey(name: string): Promise<void> {
    const { data } = await this.client.mutate<PasskeyRegistrationOptionsMutation>({ mutation: PasskeyRegistrationOptionsDocument });
    if (!data) throw new Error('Gatehouse answered without data');
    const response = await startRegistration({ optionsJSON: data.passkeyRegistrationOptions as PublicKeyCredentialCreationOptionsJSON });
    await this.client.mutate<RegisterPasskeyMutation, RegisterPasskeyMutationVariables>({
      mutation: RegisterPasskeyDocument,
      variables: { response, name },
    });
  }

  async revokeSession(id: string): Promise<void> {
    await this.client.mutate<RevokeSessionMutation, RevokeSessionMutationVariables>({
      mutation: RevokeSessionDocument,
      variables: { id },
    });
  }
}
