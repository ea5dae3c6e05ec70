// The app sends the operations of client/operations.graphql, generated with their result types into
// client/sdk.ts by `npm run codegen`: one source of truth that `npm run codegen:check` keeps in step with
// the schema. Apollo Client takes the documents as they are.
export {
  ConfirmEmailChangeDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  RefreshDocument,
  RegisterDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
  SessionsDocument,
  VerifyEmailDocument,
  VerifyMfaDocument,
  StartTotpEnrollmentDocument,
  ConfirmTotpEnrollmentDocument,
  MySecondFactorDocument,
  PasskeyRegistrationOptionsDocument,
  RegisterPasskeyDocument,
  PasskeyLoginOptionsDocument,
  LoginWithPasskeyDocument,
  PasskeysDocument,
} from '../../../client/sdk';
export type {
  ConfirmEmailChangeMutation,
  ConfirmEmailChangeMutationVariables,
  LoginMutation,
  LoginMutationVariables,
  LogoutMutation,
  LogoutMutationVariables,
  MeQuery,
  RefreshMutation,
  RefreshMutationVariables,
  RegisterMutation,
  RegisterMutationVariables,
  RequestEmailVerificationMutation,
  RequestPasswordResetMutation,
  RequestPasswordResetMutationVariables,
  ResetPasswordMutation,
  ResetPasswordMutationVariables,
  RevokeSessionMutation,
  RevokeSessionMutationVariables,
  SessionsQuery,
  UserFieldsFragment as User,
  VerifyEmailMutation,
  VerifyEmailMutationVariables,
  VerifyMfaMutation,
  VerifyMfaMutationVariables,
  MfaChallengeFieldsFragment,
  MfaMethod,
  StartTotpEnrollmentMutation,
  ConfirmTotpEnrollmentMutation,
  ConfirmTotpEnrollmentMutationVariables,
  MySecondFactorQuery,
  PasskeyRegistrationOptionsMutation,
  RegisterPasskeyMutation,
  RegisterPasskeyMutationVariables,
  PasskeyLoginOptionsMutation,
  PasskeyLoginOptionsMutationVariables,
  LoginWithPasskeyMutation,
  LoginWithPasskeyMutationVariables,
  PasskeysQuery,
} from '../../../client/sdk';

// The live channel's subscription, sent over the WebSocket (GraphQLWsLink, see apollo.ts).
export { RenewLiveTokenDocument, SessionEventsDocument } from '../../../client/live-documents';
export type { SessionEventsSubscription } from '../../../client/live-documents';

import type { SessionsQuery } from '../../../client/sdk';
/** One of the signed-in user's sessions, as the sessions query returns it. */
export type SessionInfo = SessionsQuery['sessions'][number];
