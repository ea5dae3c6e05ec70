// The app sends the operations of client/operations.graphql, generated with their result types into
// client/sdk.ts by `npm run codegen`: one source of truth that `npm run codegen:check` keeps in step with
// the schema. Apollo Client takes the documents as they are.
export {
  LoginDocument,
  LogoutDocument,
  MeDocument,
  RefreshDocument,
  RegisterDocument,
  RevokeSessionDocument,
  SessionsDocument,
} from '../../../client/sdk';
export type {
  LoginMutation,
  LoginMutationVariables,
  LogoutMutation,
  LogoutMutationVariables,
  MeQuery,
  RefreshMutation,
  RefreshMutationVariables,
  RegisterMutation,
  RegisterMutationVariables,
  RevokeSessionMutation,
  RevokeSessionMutationVariables,
  SessionsQuery,
  UserFieldsFragment as User,
} from '../../../client/sdk';

import type { SessionsQuery } from '../../../client/sdk';
/** One of the signed-in user's sessions, as the sessions query returns it. */
export type SessionInfo = SessionsQuery['sessions'][number];
