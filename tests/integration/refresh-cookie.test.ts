import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// REFRESH_TOKEN_COOKIE=true: browser apps get the refresh token in an HttpOnly cookie that scripts never see.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ REFRESH_TOKEN_COOKIE: 'true' });
});
afterAll(() => server?.close());

const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken refreshToken } }';
const REFRESH = 'mutation ($token: String!) { refresh(refreshToken: $token) { accessToken refreshToken } }';

const cookieOf = (headers: Headers) => headers.get('set-cookie') ?? '';
const valueOf = (setCookie: string) => /^gatehouse_refresh=([^;]*)/.exec(setCookie)?.[1];

it('sets an HttpOnly, Secure, SameSite=Strict cookie and leaves the token out of the body', async () => {
  const { body, headers } = await server.post({ query: REGISTER, variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
  const cookie = cookieOf(headers);
  expect(cookie).toMatch(/^gatehouse_refresh=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/graphql; HttpOnly; Secure; SameSite=Strict$/);
  expect(body.data?.register).toMatchObject({ refreshToken: '' });
});

it('refreshes from the cookie when the argument is empty, rotating the cookie', async () => {
  const { headers } = await server.post({ query: REGISTER, variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
  const first = valueOf(cookieOf(headers))!;
  const refreshed = await server.post({ query: REFRESH, variables: { token: '' } }, { cookie: `other=1; gatehouse_refresh=${first}` });
  expect(refreshed.body.errors).toBeUndefined();
  const second = valueOf(cookieOf(refreshed.headers));
  expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(second).not.toBe(first);

  const logout = await server.post(
    { query: 'mutation { logout }' },
    { authorization: `Bearer ${(refreshed.body.data?.refresh as { accessToken: string }).accessToken}` },
  );
  expect(cookieOf(logout.headers)).toMatch(/^gatehouse_refresh=; Max-Age=0;/);
  const after = await server.post({ query: REFRESH, variables: { token: '' } }, { cookie: `gatehouse_refresh=${second}` });
  expect(after.body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'SESSION_REVOKED' });
});

it('names the refresh token when the cookie is refused, and keeps the reason', async () => {
  for (const cookie of ['gatehouse_refresh=' + 'x'.repeat(43), 'gatehouse_refresh=not-a-token', 'other=1']) {
    const { body } = await server.post({ query: REFRESH, variables: { token: '' } }, { cookie });
    expect(body.errors?.[0]).toMatchObject({
      message: 'The refresh token is invalid.',
      extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' },
    });
  }
});
