import { registerEnumType } from 'type-graphql';

export enum LogoutScope {
  CURRENT = 'CURRENT',
  OTHERS = 'OTHERS',
  ALL = 'ALL',
}

registerEnumType(LogoutScope, {
  name: 'LogoutScope',
  description: 'Which sessions logout ends.',
  valuesConfig: {
    CURRENT: { description: 'The session of the token that made the request.' },
    OTHERS: { description: 'Every other session of this user (other devices); this one continues.' },
    ALL: { description: 'Every session of this user, this one included.' },
  },
});
