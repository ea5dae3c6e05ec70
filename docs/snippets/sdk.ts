import { createGatehouseClient, GatehouseError } from './client';

let token: string | undefined;
const gatehouse = createGatehouseClient({
  url: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql',
  getAccessToken: () => token,
});

async function main() {
  const { login } = await gatehouse.Login({ input: { email: 'ada@example.com', password: 'correct horse battery staple' } });
  token = login.accessToken;
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
