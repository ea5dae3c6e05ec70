import { ConnectionException } from '@mikro-orm/core';

// Error codes that mean "the database cannot be reached right now", as opposed to a bug.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'ENOENT']);
// SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now), 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
// What the driver, its pool and knex say when the connection is gone; matched only against an error that
// carries no SQLSTATE, and only against its own message, never the SQL knex puts in front of it.
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Timeout acquiring a connection/i,
  /Unable to acquire a connection/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /Connection is closed/i,
  /the database system is (starting up|shutting down)/i,
  // knex marks a transaction complete when its BEGIN fails (the connection died under it), swallows that
  // error and hands the transaction out anyway: its first statement then fails with this, no code, and
  // nothing in the chain says why. (Using a finished transaction on purpose would be a bug we do not have.)
  /Transaction query already complete/i,
];
const MAX_DEPTH = 5;

type Link = Record<string, unknown>;

/** The error, then what it wraps: `cause`, or the value graphql-js wrapped as NonErrorThrown (`thrownValue`). */
function chain(error: unknown): Link[] {
  const links: Link[] = [];
  for (let current = error; current && typeof current === 'object' && links.length < MAX_DEPTH;) {
    links.push(current as Link);
    const { cause, thrownValue } = current as Link;
    current = cause ?? thrownValue;
  }
  return links;
}

const sqlState = (link: Link): string | undefined => (typeof link.code === 'string' && SQLSTATE.test(link.code) ? link.code : undefined);

/** knex puts the failed SQL, values inlined, before the driver's message: "<sql> - <message>". */
function ownMessage(message: string): string {
  const separator = message.lastIndexOf(' - ');
  return separator < 0 ? message : message.slice(separator + 3);
}

function isUnavailableLink(link: Link): boolean {
  if (link instanceof ConnectionException) return true;
  const state = sqlState(link);
  // The server said it. Severity ERROR means only the statement failed and the session goes on: a NUL byte
  // in a value is 08P01 "invalid message format" at ERROR. An ended session or server is FATAL.
  if (state) return UNAVAILABLE_SQLSTATE.test(state) && link.severity !== 'ERROR';
  if (typeof link.code === 'string' && NETWORK_CODES.has(link.code)) return true;
  if (typeof link.message !== 'string') return false;
  const message = ownMessage(link.message);
  return MESSAGES.some((pattern) => pattern.test(message));
}

/** True when `error`, or anything in its cause chain, says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return chain(error).some(isUnavailableLink);
}

/** One link of an error chain as it may be logged: nothing in it can carry a value from a request. */
export interface LoggedLink {
  type: string;
  code?: string;
  severity?: string;
  syscall?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  dataType?: string;
  routine?: string;
  message?: string;
}

export interface LoggedError extends LoggedLink {
  /** Where it was thrown: the stack's frames only (its first line repeats the message). */
  stack?: string;
  /** What it wraps, outermost first. */
  causes?: LoggedLink[];
}

const IDENTIFIER_FIELDS = ['schema', 'table', 'column', 'constraint', 'dataType', 'routine'] as const;
const PLAIN = /^[\w.:-]{1,64}$/u;
const MAX_MESSAGE = 300;
// A message that still reads like SQL after the knex prefix is gone is dropped whole.
const SQL_TEXT = /\b(select|insert|update|delete|values|from|where|returning)\b/i;

/**
 * The message of an error that is not the server's: the driver's, the pool's, knex's, Node's. A server
 * error (it has a SQLSTATE) is described by its code, routine and identifiers alone, since its message
 * can quote a value (`invalid input syntax for type uuid: "..."`) and MikroORM appends its detail
 * (`Key (email)=(...) already exists`). What is kept loses knex's SQL prefix, anything quoted and
 * anything from "Key (" on.
 */
function safeMessage(link: Link): string | undefined {
  if (sqlState(link) || typeof link.message !== 'string') return undefined;
  return safeText(link.message);
}

/**
 * A library's message (or knex's own warning text) with no values in it: knex's SQL prefix gone, quoted
 * parts and key details redacted, and nothing at all when what is left still reads like SQL.
 */
export function safeText(text: string): string | undefined {
  const message = redactText(ownMessage(text));
  return message && !SQL_TEXT.test(message) ? message : undefined;
}

function redactText(text: string): string {
  return text
    .split(/\bKey \(/)[0]
    .replace(/"[^"]*("|$)/g, '"…"')
    .replace(/'[^']*('|$)/g, "'…'")
    .replace(/`[^`]*(`|$)/g, '`…`')
    .trim()
    .slice(0, MAX_MESSAGE);
}

function typeOf(link: Link): string {
  const constructorName = (link.constructor as { name?: unknown } | undefined)?.name;
  const name = typeof link.name === 'string' && PLAIN.test(link.name) ? link.name : undefined;
  // pg names its DatabaseError "error"; a plain Error says more by its name (e.g. NonErrorThrown).
  if (typeof constructorName === 'string' && constructorName !== 'Error' && constructorName !== 'Object') return constructorName;
  return name ?? (constructorName === 'Object' ? 'object' : 'Error');
}

function describe(link: Link): LoggedLink {
  const logged: LoggedLink = { type: typeOf(link) };
  if (typeof link.code === 'string' && PLAIN.test(link.code)) logged.code = link.code;
  if (typeof link.severity === 'string' && /^\p{L}{1,16}$/u.test(link.severity)) logged.severity = link.severity;
  if (typeof link.syscall === 'string' && PLAIN.test(link.syscall)) logged.syscall = link.syscall;
  for (const field of IDENTIFIER_FIELDS) {
    const value = link[field];
    if (typeof value === 'string' && value.length > 0) logged[field] = value.slice(0, 128);
  }
  // graphql-js's NonErrorThrown message is an inspection of the thrown value, which is the next link.
  const message = link.thrownValue === undefined ? safeMessage(link) : undefined;
  if (message) logged.message = message;
  return logged;
}

/**
 * What of an error may go to the log, for every path that logs one: its chain, each link by type, code,
 * SQLSTATE fields and a message with no values in it (see safeMessage). Never the SQL, its parameters, a
 * driver's detail or hint. `stack`: add the frames of where it was thrown (for errors that are bugs).
 */
export function loggableError(error: unknown, { stack = false } = {}): LoggedError {
  if (isLogged(error)) return error;
  const [first, ...rest] = chain(error);
  const logged: LoggedError = first ? describe(first) : { type: error === null ? 'null' : typeof error };
  if (stack && typeof first?.stack === 'string') {
    const frames = first.stack.split('\n').filter((line) => /^\s+at /.test(line));
    if (frames.length > 0) logged.stack = frames.map((line) => line.trim()).join('\n');
  }
  if (rest.length > 0) logged.causes = rest.map(describe);
  return Object.defineProperty(logged, LOGGED, { value: true });
}

const LOGGED = Symbol('loggableError');
const isLogged = (value: unknown): value is LoggedError => typeof value === 'object' && value !== null && LOGGED in value;

/**
 * pino's serializer for `err`, whoever logs one: an error not yet made loggable is made so here, with its
 * stack frames (such a line is rare and reports a bug), so no log path can write a raw driver error.
 */
export const serializeError = (value: unknown): LoggedError => (isLogged(value) ? value : loggableError(value, { stack: true }));
