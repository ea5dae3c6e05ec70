import websocket from '@fastify/websocket';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteHandlerMethod,
} from 'fastify';
import { getOperationAST, GraphQLError, OperationTypeNode, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { handleProtocols, makeServer, type Context as WsContext } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { setBounded } from '../common/bounded-map';
import { clientInfo, pathOf, type ClientInfo } from '../common/request-meta';
import type { Config } from '../config';
import type { NotificationHub } from '../db/notifications';
import { AuthReason, ErrorCode } from '../errors/codes';
import { AppError, badUserInput, unauthenticated } from '../errors/errors';
import { createFormatError } from '../graphql/format-error';
import { SUBSCRIPTIONS_ENDPOINT as LIVE_PATH } from '../graphql/no-http-subscriptions';
import { createRequestContext } from '../graphql/request-context';
import { parseAuthorization } from '../identity/bearer';
import type { Viewer } from '../identity/viewer';
import type { Metrics } from '../observability/metrics';
import type { Services } from '../services';
import { CloseCode } from './close-codes';
import { LiveConnection } from './live-connection';
import type { LiveContext } from './live-context';
import { LiveFeed } from './live-feed';
import { LiveRegistry } from './live-registry';
import { SessionStateReader } from './session-state';

export interface LiveServerDeps {
  schema: GraphQLSchema;
  orm: MikroORM;
  services: Services;
  config: Pick<Config, 'live' | 'production' | 'exposeStackTraces'>;
  metrics: Metrics;
  /** The process's LISTEN connection (PostgreSQL); undefined on the embedded database, which is polled. */
  notifications: NotificationHub | undefined;
}

export interface LiveServer {
  readonly registry: LiveRegistry;
  /**
   * Routes GET /graphql: a WebSocket upgrade to the live channel, any other GET to `http` (GraphQL over HTTP).
   * Call once, with the other routes.
   */
  route(fastify: FastifyInstance, http: HttpHandler): Promise<void>;
  /** The WebSocket side of GET /graphql. */
  handle(socket: WebSocket, request: FastifyRequest): void;
  /** Closes every socket with 1001 (going away) and waits briefly for them to go. */
  close(): Promise<void>;
}

/** A GraphQL-over-HTTP handler (@as-integrations/fastify's answers a string). */
type HttpHandler = RouteHandlerMethod<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, { Reply: string }>;

interface Extra {
  connection: LiveConnection;
  client: ClientInfo;
  token?: string;
}

// Only these fields may be sent as a mutation over the socket: everything else is served over HTTP.
const SOCKET_MUTATIONS = new Set(['renewLiveToken']);
const CLOSE_WAIT_MS = 1_000;
const DOCUMENT_CACHE_MAX = 100;
const TOKEN_MISSING = 'Authentication required: send { "authorization": "Bearer <token>" } as the connection_init payload.';

/** The live channel's sockets and feed; `route` serves it. Subscriptions: src/live/live.resolver.ts. */
export function createLiveServer(fastify: FastifyInstance, deps: LiveServerDeps): LiveServer {
  const { schema, orm, services, config, metrics, notifications } = deps;
  const limits = config.live;
  const registry = new LiveRegistry(limits);
  const feed = new LiveFeed(registry, new SessionStateReader(() => orm.em.getConnection()), services.events, fastify.log);
  if (notifications) notifications.subscribe(feed);
  else feed.startPolling();
  metrics.watchLiveSockets(() => ({ open: registry.all.size, signedIn: registry.signedIn }));
  const formatError = createFormatError(fastify.log, { exposeStack: config.exposeStackTraces, hideSuggestions: config.production });
  // An error thrown by a subscription's stream reaches graphql-ws wrapped in a GraphQLError of its own.
  const unwrap = (error: GraphQLError): GraphQLError => (error.originalError instanceof GraphQLError ? unwrap(error.originalError) : error);
  const format = (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      const original = unwrap(error);
      return formatError({ ...error.toJSON(), message: original.message, extensions: original.extensions }, original);
    });
  const closed = (reason: string) => metrics.liveClosed.inc({ reason });

  const refuse = (connection: LiveConnection, code: number, reason: string, metric: string) => {
    closed(metric);
    connection.close(code, reason);
  };

  const authenticate = async (extra: Extra, authorization: unknown): Promise<Viewer> => {
    const credential = parseAuthorization(typeof authorization === 'string' ? authorization : undefined);
    if (!('token' in credential)) {
      if (credential.reason === AuthReason.TOKEN_MISSING) throw new AppError(ErrorCode.UNAUTHENTICATED, TOKEN_MISSING, { reason: credential.reason });
      throw unauthenticated(credential.reason);
    }
    const viewer = await services.viewer.resolve(credential.token, extra.client);
    extra.token = credential.token;
    return viewer;
  };

  const adopt = (extra: Extra, viewer: Viewer) => {
    const { connection } = extra;
    const previous = connection.identity && { userId: connection.identity.userId, sessionId: connection.identity.sessionId };
    connection.authenticate(viewer, () => {
      closed('UNAUTHORIZED');
      feed.expire(connection);
    });
    registry.index(connection, previous);
    // A revocation committed while the token was being checked announced itself before this socket was
    // filed under its session: read its state once more.
    feed.check(connection);
  };

  const documents = new Map<string, DocumentNode>();
  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema,
    connectionInitWaitTimeout: limits.initTimeoutSeconds * 1000,
    onConnect: async (ctx) => {
      const { connection } = ctx.extra;
      try {
        const viewer = await authenticate(ctx.extra, ctx.connectionParams?.authorization);
        if (connection.isClosing) return false;
        if (!registry.hasRoomFor(viewer.user.id)) {
          refuse(connection, CloseCode.TOO_MANY_CONNECTIONS, 'too many connections for this user', 'TOO_MANY_CONNECTIONS');
          return false;
        }
        adopt(ctx.extra, viewer);
        return true;
      } catch (error) {
        const message = error instanceof GraphQLError && error.extensions.code === ErrorCode.UNAUTHENTICATED ? error.message : undefined;
        if (!message) throw error;
        // A close reason holds at most 123 bytes; ours are shorter.
        refuse(connection, CloseCode.UNAUTHORIZED, message.slice(0, 120), 'UNAUTHORIZED');
        return false;
      }
    },
    onSubscribe: (ctx, id, payload) => {
      const { connection } = ctx.extra;
      // Thousands of sockets send the same few documents: each is parsed and validated once, and the
      // running subscriptions share its tree (a per-socket copy would be most of an idle socket's heap).
      let document = documents.get(payload.query);
      if (!document) {
        try {
          document = parse(payload.query, { maxTokens: 1000 });
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document, specifiedRules);
        if (errors.length > 0) return errors;
        setBounded(documents, payload.query, document, DOCUMENT_CACHE_MAX);
      }
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [new GraphQLError('No operation to run: name one with operationName.', { extensions: { code: ErrorCode.BAD_REQUEST } })];
      if (operation.operation === OperationTypeNode.QUERY) {
        return [
          new GraphQLError(`Queries are served over HTTP at ${LIVE_PATH}; this socket serves subscriptions.`, {
            extensions: { code: ErrorCode.BAD_REQUEST },
          }),
        ];
      }
      if (operation.operation === OperationTypeNode.MUTATION) {
        const fields = operation.selectionSet.selections.map((selection) => (selection.kind === 'Field' ? selection.name.value : ''));
        if (!fields.every((field) => SOCKET_MUTATIONS.has(field))) {
          return [
            new GraphQLError(`Over this socket the only mutation is renewLiveToken; the others are served over HTTP at ${LIVE_PATH}.`, {
              extensions: { code: ErrorCode.BAD_REQUEST },
            }),
          ];
        }
      } else if (connection.subscriptions.size >= limits.maxSubscriptions) {
        return [new AppError(ErrorCode.TOO_MANY_SUBSCRIPTIONS)];
      } else {
        connection.subscriptions.add(id);
      }
      const context: LiveContext = Object.assign(createRequestContext(orm, services, extrasCredential(ctx.extra), ctx.extra.client), {
        live: { connection, renew: async (token: string) => renew(ctx, token) },
      });
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
    },
    onComplete: (ctx, id) => void ctx.extra.connection.subscriptions.delete(id),
    onError: (ctx, id, _payload, errors) => {
      ctx.extra.connection.subscriptions.delete(id);
      return format(errors);
    },
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
  });

  const renew = async (ctx: WsContext<Record<string, unknown> | undefined, Extra>, token: string): Promise<Viewer> => {
    const { connection } = ctx.extra;
    const client = ctx.extra.client;
    const viewer = await services.viewer.resolve(token, client);
    if (viewer.user.id !== connection.identity?.userId) throw badUserInput('accessToken', "The token is another user's: open a new socket for them.");
    ctx.extra.token = token;
    adopt(ctx.extra, viewer);
    return viewer;
  };

  // Ping/pong: one timer for every socket. A socket that has not answered the previous ping by the time
  // its pong timeout has passed is dropped (its TCP connection may be gone without a word).
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const connection of registry.all) {
      if (connection.isClosing) continue;
      if (connection.awaitingPong) {
        closed('PONG_TIMEOUT');
        connection.terminate();
        continue;
      }
      connection.awaitingPong = true;
      connection.pingSentAt = now;
      connection.socket.ping();
    }
    const check = setTimeout(() => {
      for (const connection of registry.all) {
        if (connection.awaitingPong && connection.pingSentAt === now && !connection.isClosing) {
          closed('PONG_TIMEOUT');
          connection.terminate();
        }
      }
    }, limits.pongTimeoutSeconds * 1000);
    check.unref();
  }, limits.pingIntervalSeconds * 1000);
  sweep.unref();

  return {
    registry,
    async route(root, http) {
      // @fastify/websocket adds an onRequest and an onResponse hook and wraps the handler of every route in
      // the context it is registered in: in a context of its own with this one route, every other request
      // (POST /graphql above all) goes without them.
      await root.register(async (scope) => {
        await scope.register(websocket, {
          // A client's protocol mistake (a frame over maxPayload: ws closes it with 1009) is not a server error.
          errorHandler: (error) =>
            scope.log.debug({ err: { message: error.message, code: (error as { code?: string }).code } }, 'live: socket error'),
          options: { maxPayload: limits.maxMessageBytes, handleProtocols, perMessageDeflate: false },
          // app.ts closes the sockets (1001) before Fastify closes; what is left then is cut.
          preClose: async () => {
            for (const connection of registry.all) connection.socket.terminate();
          },
        });
        scope.route({ url: LIVE_PATH, method: 'GET', handler: http, wsHandler: (socket, request) => this.handle(socket, request) });
      });
      refuseOtherUpgrades(root);
    },
    handle(socket, request) {
      const connection = new LiveConnection(socket, request.ip, limits, registry.admins, () => closed('SLOW_CLIENT'));
      if (!registry.admit(connection)) {
        closed('TOO_MANY_CONNECTIONS');
        socket.close(CloseCode.TOO_MANY_CONNECTIONS, 'too many connections from this address');
        return;
      }
      socket.on('pong', () => (connection.awaitingPong = false));
      const extra: Extra = { connection, client: clientInfo(request.ip, request.headers['user-agent']) };
      const closedBy = server.opened(
        {
          protocol: socket.protocol,
          send: (data) =>
            new Promise<void>((resolve) => {
              if (socket.readyState !== socket.OPEN || !connection.canSend()) return resolve();
              metrics.liveMessagesOut.inc({ type: messageType(data) });
              socket.send(data, () => resolve());
            }),
          close: (code, reason) => {
            if (code === CloseCode.INIT_TIMEOUT) closed('INIT_TIMEOUT');
            connection.close(code ?? 1000, reason ?? '');
          },
          onMessage: (receive) =>
            socket.on('message', (message) => {
              const text = String(message);
              // A client's complete frees its subscription's place at once, before graphql-ws has wound it down.
              if (text.includes('"complete"')) forgetCompleted(connection, text);
              receive(text).catch((error: unknown) => {
                fastify.log.error({ err: error }, 'live: message handling failed');
                connection.close(4500, 'Internal server error');
              });
            }),
        },
        extra,
      );
      socket.once('close', (code, reason) => {
        registry.remove(connection);
        connection.dispose();
        void closedBy(code, String(reason));
      });
    },
    async close() {
      clearInterval(sweep);
      feed.stop();
      const sockets = [...registry.all].map((connection) => connection.socket);
      for (const connection of registry.all) {
        closed('GOING_AWAY');
        connection.close(CloseCode.GOING_AWAY, 'server shutting down');
      }
      const deadline = Date.now() + CLOSE_WAIT_MS;
      while (sockets.some((socket) => socket.readyState !== socket.CLOSED) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const socket of sockets) if (socket.readyState !== socket.CLOSED) socket.terminate();
    },
  };
}

function forgetCompleted(connection: LiveConnection, text: string): void {
  try {
    const message = JSON.parse(text) as { type?: unknown; id?: unknown };
    if (message.type === 'complete' && typeof message.id === 'string') connection.subscriptions.delete(message.id);
  } catch {
    // graphql-ws answers a malformed message itself.
  }
}

const extrasCredential = (extra: Extra) => parseAuthorization(extra.token ? `Bearer ${extra.token}` : undefined);

// graphql-ws writes `{"id":..,"type":..}` or `{"type":..}`; the type names a closed set.
const TYPE = /"type":"(\w+)"/;
const messageType = (data: string): string => TYPE.exec(data.slice(0, 80))?.[1] ?? 'other';

/**
 * @fastify/websocket hands every upgrade request to the router, and outside its own context a route would
 * answer it over HTTP and leave the socket open. Only GET /graphql upgrades: any other upgrade request gets
 * a 404 and its connection is closed, before a route sees it.
 */
function refuseOtherUpgrades(fastify: FastifyInstance): void {
  const server = fastify.server;
  const upgrade = server.listeners('upgrade').at(-1) as ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  if (!upgrade) throw new Error('@fastify/websocket did not listen for upgrades');
  server.removeListener('upgrade', upgrade);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (request.method === 'GET' && pathOf(request.url) === LIVE_PATH) return upgrade(request, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
}
