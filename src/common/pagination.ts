import { type ClassType, Field, Int, ObjectType } from 'type-graphql';
import { badUserInput } from '../errors/errors';

export const PAGE_DEFAULT = 20;
export const PAGE_MAX = 100;

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}

export interface Keyset {
  createdAt: Date;
  id: string;
}

/** A Relay-style connection type for `node`: edges with cursors, and pageInfo. */
export function Connection<T extends object>(node: ClassType<T>) {
  @ObjectType(`${node.name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType()
  abstract class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'How many nodes this page holds.' })
    count!: number;
  }
  return ConnectionType;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  count: number;
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? PAGE_DEFAULT;
  if (!Number.isInteger(size) || size < 1 || size > PAGE_MAX) {
    throw badUserInput('first', `first must be from 1 to ${PAGE_MAX}.`);
  }
  return size;
}

const encode = ({ createdAt, id }: Keyset): string => Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');

/** Cursors are opaque to clients: the (createdAt, id) of the last row seen, newest first. */
export function decodeCursor(cursor: string | null | undefined): Keyset | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(iso);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw new Error();
    return { createdAt, id };
  } catch {
    throw badUserInput('after', 'after is not a cursor from this API.');
  }
}

/** The filter for rows after `cursor` in newest-first order. */
export const afterCursor = (cursor: Keyset | undefined) =>
  cursor ? { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] } : {};

/** Builds a page from up to `size + 1` rows fetched newest first. */
export function toPage<T extends Keyset>(rows: T[], size: number): Page<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encode(node), node }));
  return { edges, count: edges.length, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}

export const NEWEST_FIRST = { createdAt: 'desc', id: 'desc' } as const;
