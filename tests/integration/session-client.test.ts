import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createSessionClient, type TokenPair } from '../../client/session-client';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

/** Counts the refresh mutations a client sends. */
function countingFetch() {
  const counter = { refreshes: 0 };
  const fetchFn: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string' && init.body.includes('refresh(')) counter.refreshes++;
    return fetch(input, init);
  };
  return { counter, fetchFn };
}

/** The same token, re-signed as expired beyond the clock tolerance (the server's own key). */
function expire(token: string): string {
  const { header, payload } = jwt.decode(token, { complete: true }) as { header: object; payload: Record<string, number> };
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${b64(header)}.${b64({ ...payload, iat: payload.iat - 3600, exp: payload.iat - 600 })}`;
  return `${head}.${createHmac('sha256', server.config.jwt.secret).update(head).digest('base64url')}`;
}

it('keeps the pair from login, forgets it on logout', async () => {
  const seen: (TokenPair | null)[] = [];
  const client = createSessionClient({ url: server.graphqlUrl, onTokens: (tokens) => seen.push(tokens) });
  const email = uniqueEmail();
  await client.sdk.Register({ input: { email, password: PASSWORD } });
  expect((await client.sdk.Me()).me.email).toBe(email);
  await client.sdk.Logout({ scope: 'OTHERS' });
  expect(client.tokens()).not.toBeNull();
  await client.sdk.Logout();
  expect(client.tokens()).toBeNull();
  expect(seen.at(-1)).toBeNull();
});

it('refreshes once on TOKEN_EXPIRED, for any number of concurrent calls, and retries them', async () => {
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  const { counter, fetchFn } = countingFetch();
  const client = createSessionClient({
    url: server.graphqlUrl,
    fetch: fetchFn,
    tokens: { accessToken: expire(register.accessToken), refreshToken: register.refreshToken },
  });
  const results = await Promise.all(Array.from({ length: 5 }, () => client.sdk.Me()));
  expect(results.map((r) => r.me.id)).toEqual(Array(5).fill(register.user.id));
  expect(counter.refreshes).toBe(1);
  expect(client.tokens()?.refreshToken).not.toBe(register.refreshToken);
});

it('ends the session when the refresh fails, and surfaces the original error', async () => {
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  await server.sdk(register.accessToken).Logout({ scope: 'ALL' });
  const client = createSessionClient({
    url: server.graphqlUrl,
    tokens: { accessToken: expire(register.accessToken), refreshToken: register.refreshToken },
  });
  await expect(client.sdk.Me()).rejects.toMatchObject({ reason: 'TOKEN_EXPIRED' });
  expect(client.tokens()).toBeNull();
});
