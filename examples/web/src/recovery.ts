import type { ApolloClient } from '@apollo/client';
import {
  ConfirmEmailChangeDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  VerifyEmailDocument,
  type ConfirmEmailChangeMutation,
  type ConfirmEmailChangeMutationVariables,
  type RequestEmailVerificationMutation,
  type RequestPasswordResetMutation,
  type RequestPasswordResetMutationVariables,
  type ResetPasswordMutation,
  type ResetPasswordMutationVariables,
  type User,
  type VerifyEmailMutation,
  type VerifyEmailMutationVariables,
} from './operations';

/** The pages Gatehouse's mails link to: `${APP_URL}/<action>#token=…`. */
export type LinkAction = 'reset-password' | 'verify-email' | 'confirm-email';

const ACTIONS: readonly LinkAction[] = ['reset-password', 'verify-email', 'confirm-email'];

export interface EmailLink {
  action: LinkAction;
  token: string;
}

/**
 * The mailed link this page was opened from, if any. The token comes in the fragment, which the browser
 * never sends: it is in no server's access log and in no Referer header.
 */
export function readEmailLink(location: Pick<Location, 'pathname' | 'hash'>): EmailLink | undefined {
  const action = ACTIONS.find((name) => location.pathname.endsWith(`/${name}`));
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  return action && token ? { action, token } : undefined;
}

/** Takes the link out of the address bar and the history entry, so the token is not left behind once read. */
export function forgetEmailLink(location: Pick<Location, 'pathname'>, history: History): void {
  const path = location.pathname.replace(/[^/]*$/, '');
  history.replaceState(null, '', path);
}

/** The account-recovery mutations; none needs a session, except asking for a verification mail. */
export class Recovery {
  constructor(private readonly client: ApolloClient) {}

  /** Always succeeds (Gatehouse answers true whether or not the account exists). */
  async requestPasswordReset(email: string): Promise<void> {
    await this.client.mutate<RequestPasswordResetMutation, RequestPasswordResetMutationVariables>({
      mutation: RequestPasswordResetDocument,
      variables: { email },
    });
  }

  /** Sets the new password; Gatehouse ends every session of the account, this one included. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.client.mutate<ResetPasswordMutation, ResetPasswordMutationVariables>({
      mutation: ResetPasswordDocument,
      variables: { input: { token, newPassword } },
    });
  }

  async verifyEmail(token: string): Promise<User> {
    const { data } = await this.client.mutate<VerifyEmailMutation, VerifyEmailMutationVariables>({
      mutation: VerifyEmailDocument,
      variables: { token },
    });
    return required(data).verifyEmail;
  }

  async confirmEmailChange(token: string): Promise<User> {
    const { data } = await this.client.mutate<ConfirmEmailChangeMutation, ConfirmEmailChangeMutationVariables>({
      mutation: ConfirmEmailChangeDocument,
      variables: { token },
    });
    return required(data).confirmEmailChange;
  }

  /** Signed in: mails a new verification link to the account's address. */
  async requestEmailVerification(): Promise<void> {
    await this.client.mutate<RequestEmailVerificationMutation>({ mutation: RequestEmailVerificationDocument });
  }
}

function required<T>(data: T | null | undefined): T {
  if (data == null) throw new Error('Gatehouse answered without data');
  return data;
}
