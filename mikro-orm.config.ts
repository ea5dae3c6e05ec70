// Configuration for the MikroORM CLI (`npm run migration:create`). Needs DATABASE_URL.
import 'reflect-metadata';
import { ormOptions } from './src/orm-options';

const clientUrl = process.env.DATABASE_URL;
if (!clientUrl) throw new Error('Set DATABASE_URL to a PostgreSQL database with the current migrations applied.');

export default ormOptions({ clientUrl, poolMax: 2 });
