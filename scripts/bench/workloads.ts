// The workloads, as autocannon request lists. Each counts the answers that were HTTP 2xx but not a
// GraphQL success: a benchmark that times fast failures is worthless.
//
// Sessions that change with every answer (refresh, mixed) live in a closure per connection, made in
// setupClient. autocannon's own per-connection `context` cannot carry them: it is reset to
// initialContext every time the request list starts over, which with a one-request list is before
// every request (autocannon README, "context"; lib/requestIterator.js).
import type autocannon from 'autocannon';
import { DOCUMENTS, graphqlFailed, loginBody, post, refreshBody, signIn, tokenPair, type Session } from './client';
import type { PacedRequest } from './paced';
import type { Mix, MixedOp } from './settings';

export interface Load {
  name: string;
  connections: number;
  options: Pick<autocannon.Options, 'requests' | 'setupClient'>;
  /** Sent by the open-loop client of paced.ts at `rate` per second instead of by autocannon. */
  paced?: { rate: number; next: () => PacedRequest; onResponse: (status: number, body: string) => void };
  /** GraphQL failures seen in 2xx answers (autocannon counts the non-2xx and connection errors). */
  failures: { count: number };
  /** Operations sent, by kind, where a workload sends more than one kind. */
  ops?: Record<string, number>;
  /** Run after autocannon stops: sessions whose last request was cut off are put back in a known state. */
  settle?: () => Promise<void>;
}

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function counting(failures: { count: number }): (status: number, body: string) => void {
  return (status, body) => {
    if (graphqlFailed(status, body)) failures.count++;
  };
}

/** `{ __typename }`: no resolver, no database; what the HTTP and GraphQL layers cost alone. */
export function ceilingLoad(name: string, connections: number): Load {
  const failures = { count: 0 };
  const requests = [{ body: JSON.stringify({ query: DOCUMENTS.ceiling }), onResponse: counting(failures) }];
  return { name, connections, failures, options: { requests } };
}

/** `me` with one of the seeded access tokens, picked at random per request. */
export function meLoad(name: string, connections: number, accessTokens: string[]): Load {
  const failures = { count: 0 };
  const body = JSON.stringify({ query: DOCUMENTS.me });
  const requests: autocannon.Request[] = [
    {
      body,
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...bearer(pick(accessTokens)) } }),
      onResponse: counting(failures),
    },
  ];
  return { name, connections, failures, options: { requests } };
}

/** `me` as above, sent at a steady `rate` per second (open loop, see paced.ts). */
export function steadyMeLoad(name: string, connections: number, accessTokens: string[], rate: number): Load {
  const failures = { count: 0 };
  const body = JSON.stringify({ query: DOCUMENTS.me });
  const onResponse = counting(failures);
  return { name, connections, failures, options: {}, paced: { rate, next: () => ({ body, headers: bearer(pick(accessTokens)) }), onResponse } };
}

/** `login` of a random seeded user: one bcrypt.compare on the server's thread pool each. */
export function loginLoad(name: string, connections: number, emails: string[]): Load {
  const failures = { count: 0 };
  const requests: autocannon.Request[] = [
    {
      setupRequest: (req) => ({ ...req, body: loginBody(pick(emails)) }),
      onResponse: (status, body) => {
        if (status >= 200 && status < 300 && !tokenPair(body, 'login')) failures.count++;
      },
    },
  ];
  return { name, connections, failures, options: { requests } };
}

/**
 * `refresh`, each connection rotating its own session: every answer's refresh token is the one the
 * connection presents next (each works once). A failed refresh counts, and the connection signs in again.
 */
export function refreshLoad(name: string, baseUrl: string, sessions: Session[]): Load {
  return sessionLoad(name, baseUrl, sessions, () => 'refresh');
}

/** Mostly `me`, some refresh, login and logout, by the shares in `mix`; after a logout the connection signs in. */
export function mixedLoad(name: string, baseUrl: string, sessions: Session[], mix: Mix): Load {
  const weighted = (Object.entries(mix) as [MixedOp, number][]).filter(([, share]) => share > 0);
  const choose = (): MixedOp => {
    let roll = Math.random() * 100;
    for (const [op, share] of weighted) if ((roll -= share) < 0) return op;
    return weighted[weighted.length - 1][0];
  };
  return sessionLoad(name, baseUrl, sessions, choose);
}

/** One connection per session: `choose` names the next operation; a signed-out session logs in first. */
function sessionLoad(name: string, baseUrl: string, sessions: Session[], choose: () => MixedOp): Load {
  const failures = { count: 0 };
  const ops: Record<MixedOp, number> = { me: 0, refresh: 0, login: 0, logout: 0 };
  let next = 0;
  const setupClient = (client: autocannon.Client) => {
    // Sessions are as many as connections, so no two connections ever share (and race on) one.
    const session = sessions[next++ % sessions.length];
    const request: autocannon.Request = {
      setupRequest: (req) => {
        const op: MixedOp = session.signedOut ? 'login' : choose();
        session.pending = op;
        ops[op]++;
        const { body, headers } = requestFor(op, session);
        return { ...req, body, headers: { ...req.headers, ...headers } };
      },
      onResponse: (status, body) => {
        const op = session.pending;
        session.pending = undefined;
        if (!op) return;
        if (status >= 200 && status < 300) {
          if (!applyAnswer(op, body, session)) failures.count++;
        } else if (op === 'refresh' || op === 'logout') {
          // Counted by autocannon (non-2xx); the token may be spent all the same, so start a new session.
          session.signedOut = true;
        }
      },
    };
    client.setRequests([request]);
  };
  const settle = async () => {
    for (const session of sessions) await settleSession(baseUrl, session);
  };
  return { name, connections: sessions.length, failures, ops, settle, options: { setupClient } };
}

function requestFor(op: MixedOp, session: Session): { body: string; headers: Record<string, string> } {
  switch (op) {
    case 'me':
      return { body: JSON.stringify({ query: DOCUMENTS.me }), headers: bearer(session.accessToken) };
    case 'refresh':
      return { body: refreshBody(session.refreshToken), headers: {} };
    case 'login':
      return { body: loginBody(session.email), headers: {} };
    case 'logout':
      return { body: JSON.stringify({ query: DOCUMENTS.logout }), headers: bearer(session.accessToken) };
  }
}

/** Updates the session from a 2xx answer; false when the answer was a failure. */
function applyAnswer(op: MixedOp, body: string, session: Session): boolean {
  if (op === 'me') return !graphqlFailed(200, body);
  if (op === 'logout') {
    const ok = body.includes('"logout":true');
    // Whether or not it worked, the session is no longer trusted: the next request logs in.
    session.signedOut = true;
    return ok;
  }
  const pair = tokenPair(body, op);
  if (!pair) {
    // A refresh token that failed may be spent or its session revoked: start a new session.
    session.signedOut = true;
    return false;
  }
  Object.assign(session, { accessToken: pair.accessToken, refreshToken: pair.refreshToken, signedOut: false });
  return true;
}

/**
 * autocannon stops mid-request: a cut-off refresh may have rotated the token on the server, and a later
 * round presenting the old one would be taken for token theft (reuse outside the grace window revokes the
 * session). Presented again now, within the grace window (REFRESH_REUSE_GRACE, see server.ts), it yields the
 * same new token.
 */
async function settleSession(baseUrl: string, session: Session): Promise<void> {
  const op = session.pending;
  session.pending = undefined;
  if (op === 'refresh' && !session.signedOut) {
    const pair = tokenPair(await post(baseUrl, refreshBody(session.refreshToken)), 'refresh');
    if (pair) {
      Object.assign(session, { accessToken: pair.accessToken, refreshToken: pair.refreshToken });
      return;
    }
    session.signedOut = true;
  }
  // A cut-off logout may have ended the session; a cut-off login leaves the old session as it was.
  if (op === 'logout') session.signedOut = true;
  if (session.signedOut) Object.assign(session, { ...(await signIn(baseUrl, session.email)), signedOut: false });
}
