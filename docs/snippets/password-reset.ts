import { createGatehouseClient, GatehouseError } from './client';

const gatehouse = createGatehouseClient({ url: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql' });

// Your "Forgot password?" form. Always true: the answer never tells whether the address has an account.
async function forgotPassword(email: string) {
  await gatehouse.RequestPasswordReset({ email });
  console.log('if that address has an account, a link is on its way');
}

// Your page at APP_URL/reset-password: the token is in the fragment, which no server ever receives.
async function resetPassword(pageUrl: string, newPassword: string) {
  const token = new URLSearchParams(new URL(pageUrl).hash.slice(1)).get('token') ?? '';
  try {
    await gatehouse.ResetPassword({ input: { token, newPassword } });
    console.log('password changed: every session has ended; sign in with the new password');
  } catch (error) {
    // A used, superseded or expired link: say so (the message names the link) and offer a new one.
    if (error instanceof GatehouseError && error.errors[0]?.extensions?.field === 'token') console.log(error.message);
    else throw error;
  }
}

// The page's address comes from RESET_LINK here; in a browser it is location.href.
const link = process.env.RESET_LINK;
(link ? resetPassword(link, 'a fresh and long passphrase') : forgotPassword('grace@example.com')).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
