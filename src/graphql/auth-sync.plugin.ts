import type { ApolloServerPlugin } from '@apollo/server';

/**
 * A mutation answers only after this instance's auth cache has applied every change committed so far,
 * its own included: a client that logs out and reuses the token at once is refused, here and (as the
 * other instances receive the same notification at the same moment) everywhere.
 */
export function authSyncPlugin(sync: () => Promise<void>): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation }) {
          if (operation?.operation === 'mutation') await sync();
        },
      };
    },
  };
}
