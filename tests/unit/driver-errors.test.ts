import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError, locatedError } from 'graphql';
import { DatabaseError } from 'pg';
import { isDatabaseUnavailable, loggableError, safeText } from '../../src/db/driver-errors';
import { clientInfo } from '../../src/common/request-meta';

/** What the pg driver reports for an error the server sent (a DatabaseError), as PostgreSQL 15 sends it. */
const serverError = (code: string, severity: string, message: string, routine: string) =>
  Object.assign(new DatabaseError(message, 0, 'error'), { code, severity, routine });
/** MikroORM's wrapper: knex put the SQL, values inlined, in front of the driver's message. */
const driverException = (sql: string, error: Error) => new DriverException(Object.assign(error, { message: `${sql} - ${error.message}` }));

describe('isDatabaseUnavailable: a protocol error about one statement is not an outage', () => {
  it.each([
    // A NUL byte in a value MikroORM inlined into the SQL text (as in users(search:)): the session goes on.
    ['08P01 at ERROR (invalid message format)', serverError('08P01', 'ERROR', 'invalid message format', 'pq_getmsgend')],
    [
      'the same, wrapped by MikroORM with SQL that mentions a connection',
      driverException(
        `select * from users where email like '%connection terminated%'`,
        serverError('08P01', 'ERROR', 'invalid message format', 'pq_getmsgend'),
      ),
    ],
    // Only the driver's own message counts, never the SQL (with a client's text in it) knex put before it.
    [
      'a bug whose SQL quotes "Connection terminated"',
      driverException(`select * from users where email like '%Connection terminated%'`, new TypeError('x is not a function')),
    ],
    [
      '22021 at ERROR (a NUL byte sent as a parameter)',
      serverError('22021', 'ERROR', 'invalid byte sequence for encoding "UTF8": 0x00', 'report_invalid_encoding_int'),
    ],
  ])('%s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it.each([
    ['08P01 at FATAL (the server dropped the session)', serverError('08P01', 'FATAL', 'invalid frontend message type 0', 'SocketBackend')],
    [
      '57P01 at FATAL (terminated by an administrator or a shutdown)',
      serverError('57P01', 'FATAL', 'terminating connection due to administrator command', 'ProcessInterrupts'),
    ],
    ['57P03 at FATAL (shutting down)', serverError('57P03', 'FATAL', 'the database system is shutting down', 'ProcessStartupPacket')],
    ['53300 at FATAL (too many connections)', serverError('53300', 'FATAL', 'sorry, too many clients already', 'InitProcessPhase2')],
    [
      '57P01 wrapped by MikroORM',
      new DriverException(serverError('57P01', 'FATAL', 'terminating connection due to administrator command', 'ProcessInterrupts')),
    ],
    ['a class 08 code from the client side (no severity)', Object.assign(new Error('x'), { code: '08006' })],
    ['the socket closing under a query', driverException('select 1', new Error('Connection terminated unexpectedly'))],
    // knex swallowed the failed BEGIN; the transaction's first statement reports only this, with no code.
    [
      'a transaction whose BEGIN died (knex: already complete)',
      driverException(
        `select * from "refresh_tokens" where "token_hash" = 'ab12' for update`,
        new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'),
      ),
    ],
    ['a COMMIT whose connection died', new Error('COMMIT; - Connection terminated unexpectedly')],
  ])('but %s is', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
});

describe('loggableError', () => {
  const HASH = 'bcrypt-sha256$v=2,t=2b,r=12$abcdefghijklmnopqrstuv$0123456789abcdefghijklmnopqrstu';
  const EMAIL = 'victim@example.com';

  it('keeps a server error to its code and identifiers: no SQL, no detail, no message', () => {
    const pg = Object.assign(
      serverError('23505', 'ERROR', 'duplicate key value violates unique constraint "users_email_unique"', '_bt_check_unique'),
      {
        detail: `Key (email)=(${EMAIL}) already exists.`,
        table: 'users',
        constraint: 'users_email_unique',
        schema: 'public',
      },
    );
    const error = new UniqueConstraintViolationException(
      Object.assign(pg, {
        message: `insert into "users" ("email", "password_hash") values ('${EMAIL}', '${HASH}') - ${pg.message}\n - detail: ${pg.detail}`,
      }),
    );
    expect(loggableError(error)).toEqual({
      type: 'UniqueConstraintViolationException',
      code: '23505',
      severity: 'ERROR',
      schema: 'public',
      table: 'users',
      constraint: 'users_email_unique',
      routine: '_bt_check_unique',
    });
    expect(JSON.stringify(loggableError(error, { stack: true }))).not.toMatch(/victim|bcrypt|insert|values|Key \(/);
  });

  it("keeps a library error's own message, without the SQL knex put in front of it", () => {
    const error = new DriverException(
      new Error(
        `select * from "sessions" where "id" = '2d1c…' and "ip" = '203.0.113.9' - Transaction query already complete, run with DEBUG=knex:tx for more info`,
      ),
    );
    expect(loggableError(error)).toEqual({
      type: 'DriverException',
      message: 'Transaction query already complete, run with DEBUG=knex:tx for more info',
    });
  });

  it('walks the chain: a cause, and the bare value graphql-js wrapped as NonErrorThrown', () => {
    const thrown = locatedError({ errno: -104, code: 'ECONNRESET', syscall: 'read' }, undefined, ['me']).originalError;
    expect(loggableError(thrown)).toEqual({ type: 'NonErrorThrown', causes: [{ type: 'object', code: 'ECONNRESET', syscall: 'read' }] });
    const wrapped = new Error('could not refresh', {
      cause: serverError('57P01', 'FATAL', 'terminating connection due to administrator command', 'ProcessInterrupts'),
    });
    expect(loggableError(wrapped)).toEqual({
      type: 'Error',
      message: 'could not refresh',
      causes: [{ type: 'DatabaseError', code: '57P01', severity: 'FATAL', routine: 'ProcessInterrupts' }],
    });
  });

  it("adds the stack's frames on request, never its first line (the message)", () => {
    const error = new TypeError(`Cannot read properties of undefined (reading '${EMAIL}')`);
    const logged = loggableError(error, { stack: true });
    expect(logged.message).toBe("Cannot read properties of undefined (reading '…')");
    expect(logged.stack).toMatch(/^at /);
    expect(logged.stack).not.toContain(EMAIL);
    expect(loggableError(new GraphQLError('x')).stack).toBeUndefined();
  });

  it('redacts what could be a value in a message, and drops one that still reads like SQL', () => {
    expect(safeText('Connection Error: Error: Connection ended unexpectedly')).toBe('Connection Error: Error: Connection ended unexpectedly');
    expect(safeText(`select 1 where "email" = '${EMAIL}' - Connection terminated unexpectedly`)).toBe('Connection terminated unexpectedly');
    expect(safeText(`invalid input syntax for type uuid: "${EMAIL}`)).toBe('invalid input syntax for type uuid: "…"');
    expect(safeText(`update users set email = $1 where id = 7`)).toBeUndefined();
  });
});

describe('clientInfo', () => {
  it('removes control characters (PostgreSQL refuses a NUL in text) and bounds the lengths', () => {
    expect(clientInfo('203.0.113.9\u0000', 'curl/8\u0000\u0007.1')).toEqual({ ip: '203.0.113.9', userAgent: 'curl/8.1' });
    expect(clientInfo('x'.repeat(100), 'y'.repeat(600))).toEqual({ ip: 'x'.repeat(64), userAgent: 'y'.repeat(512) });
    expect(clientInfo(undefined, '\u0000')).toEqual({ ip: null, userAgent: null });
  });
});
