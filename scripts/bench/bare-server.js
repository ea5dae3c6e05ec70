'use strict';
// The bare framework the benchmark compares Gatehouse with: Apollo Server 5 on Fastify through
// @as-integrations/fastify (the versions Gatehouse runs), a one-field schema, no plugins of its own, no
// logger, answering `{ __typename }`. Apollo's defaults stay on (as for any app that adds nothing): they are
// part of the framework. Plain JavaScript, so nothing is compiled on the way. PORT and HOST as for Gatehouse.
const { ApolloServer } = require('@apollo/server');
const { fastifyApolloDrainPlugin, fastifyApolloHandler } = require('@as-integrations/fastify');
const Fastify = require('fastify');

async function main() {
  const fastify = Fastify();
  const apollo = new ApolloServer({
    typeDefs: 'type Query { ok: Boolean }',
    resolvers: { Query: { ok: () => true } },
    plugins: [fastifyApolloDrainPlugin(fastify)],
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const handler = fastifyApolloHandler(apollo);
  fastify.route({ url: '/graphql', method: ['GET', 'POST', 'OPTIONS'], handler });
  fastify.get('/healthz', async () => ({ status: 'ok' }));
  await fastify.listen({ port: Number(process.env.PORT ?? 4000), host: process.env.HOST ?? '127.0.0.1' });
  const stop = () => fastify.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
