import { createSessionClient, type TokenPair } from './client/session-client';

// Stand-ins for your platform's secure storage (Keychain, Keystore, an encrypted file).
let stored: TokenPair | null = null;
const loadFromSecureStorage = () => stored;
const saveToSecureStorage = (pair: TokenPair | null) => {
  stored = pair;
};

// Where an app would show a code field; here the code comes from the environment.
const askForCode = async () => process.env.TOTP_CODE ?? '';

const session = createSessionClient({
  url: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql',
  tokens: loadFromSecureStorage(),               // or null
  onTokens: (pair) => saveToSecureStorage(pair), // null once the session has ended
});
const { sdk } = session;

async function main() {
  await sdk.Login({ input: { email: 'ada@example.com', password: 'correct horse battery staple' } });
  // An account with a second factor: login kept no tokens, it left a challenge to complete.
  if (session.challenge()) await session.completeMfa('TOTP', await askForCode());
  const { me } = await sdk.Me();                 // refreshed transparently when the access token expires
  console.log(`signed in as ${me.email}`);
  await sdk.Logout();
  console.log(`stored after logout: ${JSON.stringify(loadFromSecureStorage())}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
