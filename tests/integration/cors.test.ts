import { startTestServer, type TestServer } from '../helpers/test-server';

const APP = 'http://localhost:5173';

describe('CORS (CORS_ORIGINS)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: APP, REFRESH_TOKEN_COOKIE: 'true' });
  });
  afterAll(() => server.close());

  const preflight = (origin: string) =>
    fetch(server.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('answers a listed origin, with credentials, and lets it read the request id', async () => {
    const response = await preflight(APP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');

    const { headers } = await server.post({ query: '{ __typename }' }, { origin: APP });
    expect(headers.get('access-control-allow-origin')).toBe(APP);
    expect(headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('gives any other origin no CORS headers', async () => {
    const response = await preflight('https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const { headers } = await server.post({ query: '{ __typename }' }, { origin: 'https://evil.example' });
    expect(headers.get('access-control-allow-origin')).toBeNull();
  });
});
