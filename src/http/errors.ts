import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance } from 'fastify';
import { ERROR_CODES, ErrorCode, type OwnErrorCode } from '../errors/codes';

/**
 * Errors raised by Fastify before GraphQL runs (body too large, malformed JSON, wrong content type, no such
 * route) answer in the shape of a GraphQL response, with the HTTP status the GraphQL-over-HTTP spec asks for.
 */
export function registerHttpErrorHandlers(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    if (!(error.statusCode && error.statusCode >= 400 && error.statusCode < 500)) {
      request.log.error({ err: error }, 'unexpected HTTP error');
      return reply.status(ERROR_CODES.INTERNAL_SERVER_ERROR.status).send(ownError(ErrorCode.INTERNAL_SERVER_ERROR));
    }
    if (error.statusCode === ERROR_CODES.PAYLOAD_TOO_LARGE.status) {
      return reply.status(ERROR_CODES.PAYLOAD_TOO_LARGE.status).send(ownError(ErrorCode.PAYLOAD_TOO_LARGE));
    }
    return reply.status(error.statusCode).send(graphqlError(ErrorCode.BAD_REQUEST, error.message));
  });
  fastify.setNotFoundHandler((_request, reply) => reply.status(ERROR_CODES.NOT_FOUND.status).send(ownError(ErrorCode.NOT_FOUND)));
}

/** What node's HTTP parser can refuse before a request exists, and the answer each gets (any other: 400). */
const CLIENT_ERRORS: Record<string, [status: number, message: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received in time.'],
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large.'],
};

/**
 * Fastify's clientErrorHandler: a request that timed out, or that node could not parse, gets its status in
 * the GraphQL response shape, and its connection is closed. A client's mistake, so logged at debug only.
 */
export function clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = CLIENT_ERRORS[error.code] ?? [ERROR_CODES.BAD_REQUEST.status, 'The request is not valid HTTP.'];
  this.log.debug({ err: { code: error.code } }, 'client error');
  // As node's own handler: no second status line once a response has begun on this connection.
  const response = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    const body = JSON.stringify(graphqlError(ErrorCode.BAD_REQUEST, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const graphqlError = (code: ErrorCode, message: string) => ({ errors: [{ message, extensions: { code } }] });
const ownError = (code: OwnErrorCode) => graphqlError(code, ERROR_CODES[code].message);
