import { createGatehouseClient, GatehouseError, matchLogin } from './client';

let token: string | undefined;
const gatehouse = createGatehouseClient({
  url: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql',
  getAccessToken: () => token,
});

// Where an app would show a code field; here the code comes from the environment.
const askForCode = async () => process.env.TOTP_CODE ?? '';

async function main() {
  const { login } = await gatehouse.Login({ input: { email: 'ada@example.com', password: 'correct horse battery staple' } });
  // Both branches must be handled: an account with a second factor gets a challenge, not tokens.
  token = await matchLogin(login, {
    authenticated: async (payload) => payload.accessToken,
    mfaRequired: async ({ challengeToken }) => {
      const { verifyMfa } = await gatehouse.VerifyMfa({ input: { challengeToken, method: 'TOTP', code: await askForCode() } });
      return verifyMfa.accessToken;
    },
  });
  const { me } = await gatehouse.Me();
  console.log(`signed in as ${me.email}`);
  try {
    await gatehouse.User({ id: me.id });
  } catch (error) {
    if (error instanceof GatehouseError && error.code === 'FORBIDDEN') console.log('admins only');
    else throw error;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
