import { registerEnumType } from 'type-graphql';

/** The width of one point of securityEventStats. */
export enum StatsBucket {
  HOUR = 'HOUR',
  DAY = 'DAY',
}

registerEnumType(StatsBucket, { name: 'StatsBucket', description: 'The width of one point of securityEventStats: an hour or a day, in UTC.' });
