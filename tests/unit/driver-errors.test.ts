import { DriverException } from '@mikro-orm/core';
import { isDatabaseUnavailable } from '../../src/db/driver-errors';
import { clientInfo } from '../../src/common/request-meta';

/** What the pg driver reports for an error the server sent (a DatabaseError), as PostgreSQL 15 sends it. */
const serverError = (code: string, severity: string, message: string, routine: string) =>
  Object.assign(new Error(message), { name: 'error', code, severity, routine });
/** MikroORM's wrapper: knex put the SQL, values inlined, in front of the driver's message. */
const driverException = (sql: string, error: Error) => new DriverException(Object.assign(error, { message: `${sql} - ${error.message}` }));

describe('isDatabaseUnavailable: a protocol error about one statement is not an outage', () => {
  it.each([
    // A NUL byte in a value MikroORM inlined into the SQL text (as in users(search:)): the session goes on.
    ['08P01 at ERROR (invalid message format)', serverError('08P01', 'ERROR', 'invalid message format', 'pq_getmsgend')],
    [
      'the same, wrapped by MikroORM with SQL that mentions a connection',
      driverException(`select * from users where email like '%connection terminated%'`, serverError('08P01', 'ERROR', 'invalid message format', 'pq_getmsgend')),
    ],
    ['22021 at ERROR (a NUL byte sent as a parameter)', serverError('22021', 'ERROR', 'invalid byte sequence for encoding "UTF8": 0x00', 'report_invalid_encoding_int')],
  ])('%s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it.each([
    ['08P01 at FATAL (the server dropped the session)', serverError('08P01', 'FATAL', 'invalid frontend message type 0', 'SocketBackend')],
    ['57P01 at FATAL (terminated by an administrator or a shutdown)', serverError('57P01', 'FATAL', 'terminating connection due to administrator command', 'ProcessInterrupts')],
    ['57P03 at FATAL (shutting down)', serverError('57P03', 'FATAL', 'the database system is shutting down', 'ProcessStartupPacket')],
    ['53300 at FATAL (too many connections)', serverError('53300', 'FATAL', 'sorry, too many clients already', 'InitProcessPhase2')],
    ['57P01 wrapped by MikroORM', new DriverException(serverError('57P01', 'FATAL', 'terminating connection due to administrator command', 'ProcessInterrupts'))],
    ['a class 08 code from the client side (no severity)', Object.assign(new Error('x'), { code: '08006' })],
    ['the socket closing under a query', driverException('select 1', new Error('Connection terminated unexpectedly'))],
  ])('but %s is', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
});

describe('clientInfo', () => {
  it('removes control characters (PostgreSQL refuses a NUL in text) and bounds the lengths', () => {
    expect(clientInfo('203.0.113.9\u0000', 'curl/8\u0000\u0007.1')).toEqual({ ip: '203.0.113.9', userAgent: 'curl/8.1' });
    expect(clientInfo('x'.repeat(100), 'y'.repeat(600))).toEqual({ ip: 'x'.repeat(64), userAgent: 'y'.repeat(512) });
    expect(clientInfo(undefined, '\u0000')).toEqual({ ip: null, userAgent: null });
  });
});
