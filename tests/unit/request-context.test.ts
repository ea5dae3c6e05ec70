import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createContextFactory } from '../../src/graphql/context';
import { createRequestContext } from '../../src/graphql/request-context';
import type { Services } from '../../src/services';

// The contract under test is when a context forks an EntityManager, so the ORM here only counts forks.
function countingOrm() {
  const forks: object[] = [];
  const fork = () => {
    const em = { n: forks.length };
    forks.push(em);
    return em;
  };
  return { orm: { em: { fork } } as unknown as MikroORM, forks };
}

/** How Apollo Server clones the context for every operation (cloneObject in its ApolloServer.ts). */
const apolloClone = <T extends object>(context: T): T => Object.assign(Object.create(Object.getPrototypeOf(context) as object) as T, context);

const services = {} as Services;
const client = { ip: '127.0.0.1', userAgent: null };
const credential = { token: 'a.b.c' };

describe('the transport-neutral request context', () => {
  it('forks no EntityManager when built, nor when Apollo clones it', () => {
    const { orm, forks } = countingOrm();
    const context = createRequestContext(orm, services, credential, client);
    apolloClone(context);
    expect(forks).toHaveLength(0);
  });

  it('forks in the clone on first use of em, once', () => {
    const { orm, forks } = countingOrm();
    const clone = apolloClone(createRequestContext(orm, services, credential, client));
    const em = clone.em;
    expect(forks).toEqual([em]);
    expect(clone.em).toBe(em);
    expect(forks).toHaveLength(1);
  });
});

describe('the HTTP context', () => {
  const request = { ip: '127.0.0.1', headers: { authorization: 'Bearer a.b.c' } } as unknown as FastifyRequest;
  const reply = {} as FastifyReply;

  it('keeps the EntityManager lazy with its extras added, through the clone', async () => {
    const { orm, forks } = countingOrm();
    const context = await createContextFactory(orm, services, { sessions: { cookie: false } } as never)(request, reply);
    const clone = apolloClone(context);
    expect(forks).toHaveLength(0);
    expect(clone.trace).toBe(request.graphqlTrace);
    expect(clone.refreshCookie.enabled).toBe(false);
    expect(clone.em).toBe(forks[0]);
    expect(forks).toHaveLength(1);
  });
});
