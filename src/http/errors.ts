import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_MESSAGES, ErrorCode } from '../errors/codes';

/**
 * Errors raised by Fastify before GraphQL runs (body too large, malformed JSON, wrong content type, no such
 * route) answer in the shape of a GraphQL response, with the HTTP status the GraphQL-over-HTTP spec asks for.
 */
export function registerHttpErrorHandlers(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected HTTP error');
      return reply.status(500).send(graphqlError(ErrorCode.INTERNAL_SERVER_ERROR));
    }
    const code = status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : 'BAD_REQUEST';
    return reply.status(status).send(graphqlError(code, status === 413 ? ERROR_MESSAGES.PAYLOAD_TOO_LARGE : error.message));
  });
  fastify.setNotFoundHandler((_request, reply) => reply.status(404).send(graphqlError(ErrorCode.NOT_FOUND)));
}

const graphqlError = (code: string, message = ERROR_MESSAGES[code as ErrorCode]) => ({ errors: [{ message, extensions: { code } }] });
