import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261129164404 } from './Migration20261129164404';
import { Migration20261129170353 } from './Migration20261129170353';
import { Migration20261129173150 } from './Migration20261129173150';
import { Migration20261129191500 } from './Migration20261129191500';
import { Migration20261201090000 } from './Migration20261201090000';
import { Migration20261205100000 } from './Migration20261205100000';
import { Migration20261205110000 } from './Migration20261205110000';
import { Migration20261205150000 } from './Migration20261205150000';
import { Migration20261206090000 } from './Migration20261206090000';
import { Migration20261207090000 } from './Migration20261207090000';
import { Migration20261208090000 } from './Migration20261208090000';

// Every migration, in order. `npm run migration:create` writes a new file in this folder; add it here
// (a test fails when a migration file is missing from this list).
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261129164404', class: Migration20261129164404 },
  { name: 'Migration20261129170353', class: Migration20261129170353 },
  { name: 'Migration20261129173150', class: Migration20261129173150 },
  { name: 'Migration20261129191500', class: Migration20261129191500 },
  { name: 'Migration20261201090000', class: Migration20261201090000 },
  { name: 'Migration20261205100000', class: Migration20261205100000 },
  { name: 'Migration20261205110000', class: Migration20261205110000 },
  { name: 'Migration20261205150000', class: Migration20261205150000 },
  { name: 'Migration20261206090000', class: Migration20261206090000 },
  { name: 'Migration20261207090000', class: Migration20261207090000 },
  { name: 'Migration20261208090000', class: Migration20261208090000 },
];
