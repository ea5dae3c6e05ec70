// How error codes and reasons are declared: once each, with everything a client sees of them. Feature
// folders declare theirs with these functions too; src/errors/codes.ts composes them into the one table.
// This module imports nothing, so any folder may use it.

/** What a client sees of one `extensions.code`. */
export interface ErrorCodeSpec {
  /**
   * The message that comes with the code, unless the raise site says something more precise
   * (BAD_USER_INPUT names the field's problem). Absent only for codes GraphQL or Apollo Server raise,
   * which carry their own message describing the failure.
   */
  readonly message?: string;
  /**
   * The HTTP status of a response this code answers on its own: one the HTTP layer sends (no such
   * route, a body too large, an unexpected failure), or one GraphQL or Apollo Server refuse before
   * execution, or one refused as a whole (`refusesRequest`). An error a resolver raises otherwise comes
   * with the response's data and HTTP 200, as GraphQL clients expect: 200 for codes only resolvers raise.
   */
  readonly status: number;
  /**
   * A GraphQL response with no data whose every error carries this code is answered with `status`
   * (and not Apollo's 200), so proxies and HTTP clients see it for what it is.
   */
  readonly refusesRequest?: boolean;
  /** Its errors carry `extensions.retryAfter` (seconds); a refused request sends it as Retry-After too. */
  readonly retryAfter?: boolean;
  /** GraphQL itself or Apollo Server raise it too: their errors reach the client as they are. */
  readonly passthrough?: boolean;
  /**
   * The document or variables of a well-formed request failed: a client that accepts only
   * `application/json` gets it with HTTP 200 (GraphQL over HTTP), others keep Apollo's 400.
   */
  readonly documentError?: boolean;
}

/** What a client sees of one `extensions.reason` (they come with UNAUTHENTICATED, or with BAD_USER_INPUT for a link token). */
export interface ReasonSpec {
  readonly message: string;
  /** The message as it reads when a refresh token (argument or cookie), not the access token, was refused. */
  readonly refreshTokenMessage?: string;
  /**
   * The message as it reads when a link token from a mail (verify, reset, confirm a new address) was
   * refused; that error's code is BAD_USER_INPUT with `field: token`, not UNAUTHENTICATED.
   */
  readonly linkMessage?: string;
}

export type ErrorCodeTable = { readonly [code: string]: ErrorCodeSpec & { readonly code: string } };
export type ReasonTable = { readonly [reason: string]: ReasonSpec & { readonly reason: string } };

/** Declares error codes: each entry gets its own name as `code`, e.g. `{ code: 'NOT_FOUND', message, status: 404 }`. */
export function defineErrorCodes<const T extends Record<string, ErrorCodeSpec>>(
  specs: T,
): { readonly [K in keyof T & string]: T[K] & { readonly code: K } } {
  return freezeEntries(specs, 'code') as never;
}

/** Declares `extensions.reason` values: each entry gets its own name as `reason`. */
export function defineReasons<const T extends Record<string, ReasonSpec>>(
  specs: T,
): { readonly [K in keyof T & string]: T[K] & { readonly reason: K } } {
  return freezeEntries(specs, 'reason') as never;
}

/** The names of a table, `{ TOKEN_MISSING: 'TOKEN_MISSING', ... }`, for raise sites and comparisons. */
export function namesOf<T extends object>(table: T): { readonly [K in keyof T & string]: K } {
  return Object.freeze(Object.fromEntries(Object.keys(table).map((name) => [name, name]))) as never;
}

/**
 * Merges tables into one. A name declared in two tables is a compile-time error (the argument's type
 * names it) and, should a cast hide that, an error at start-up.
 */
export function composeTables<const T extends readonly ErrorCodeTable[] | readonly ReasonTable[]>(...tables: T & Disjoint<T>): Merged<T> {
  const merged: Record<string, unknown> = {};
  for (const table of tables as readonly object[]) {
    for (const [name, entry] of Object.entries(table)) {
      if (name in merged) throw new Error(`${name} is declared twice`);
      merged[name] = entry;
    }
  }
  return Object.freeze(merged) as never;
}

type Merged<T> = T extends readonly [infer Head, ...infer Rest] ? Head & Merged<Rest> : unknown;
type Twice<T, Seen = never> = T extends readonly [infer Head, ...infer Rest] ? (keyof Head & Seen) | Twice<Rest, Seen | keyof Head> : never;
type Disjoint<T> = [Twice<T>] extends [never] ? unknown : { declaredTwice: Twice<T> };

function freezeEntries(specs: Record<string, object>, key: 'code' | 'reason'): object {
  return Object.freeze(Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, Object.freeze({ [key]: name, ...spec })])));
}
