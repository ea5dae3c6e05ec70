import { print, type DocumentNode } from 'graphql';
import { getSdk, type Sdk } from './sdk';

export * from './sdk';
export * from './login-result';

/** One entry of a GraphQL response's `errors`. */
export interface GatehouseErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; reason?: string; field?: string; [key: string]: unknown };
}

/** Thrown by the SDK when the server answers with errors. `code` and `reason` are the first error's. */
export class GatehouseError extends Error {
  constructor(
    readonly errors: GatehouseErrorEntry[],
    readonly status: number,
  ) {
    super(errors[0]?.message ?? `HTTP ${status}`);
    this.name = 'GatehouseError';
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }

  get reason(): string | undefined {
    return this.errors[0]?.extensions?.reason;
  }
}

export interface GatehouseClientOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** Called before each request; its token is sent as "Authorization: Bearer <token>". */
  getAccessToken?: () => string | undefined | null;
  fetch?: typeof globalThis.fetch;
}

/** Sends one operation and resolves to its data; throws GatehouseError when the server answers with errors. */
export type Send = <R, V>(document: DocumentNode, variables?: V) => Promise<R>;

/** A typed client: one method per operation in client/operations.graphql. */
export function createGatehouseClient(options: GatehouseClientOptions): Sdk {
  return getSdk(createSend(options));
}

/** What the SDK sends each operation through; a wrapper (the session client) builds its SDK over it. */
export function createSend({ url, getAccessToken, fetch = globalThis.fetch }: GatehouseClientOptions): Send {
  return async <R, V>(document: DocumentNode, variables?: V): Promise<R> => {
    const token = getAccessToken?.();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: R; errors?: GatehouseErrorEntry[] };
    if (body.errors?.length) throw new GatehouseError(body.errors, response.status);
    if (!response.ok || body.data === undefined) throw new GatehouseError([], response.status);
    return body.data;
  };
}
