/**
 * Child process for the concurrent-migration test: opens the database configured by the
 * environment with the test migrations and prints what it applied as one JSON line.
 */
import { loadDbConfig } from '../../../src/config/db.js';
import { Database } from '../../../src/db/database.js';
import { testMigrations } from './fixtures.js';

const db = new Database(loadDbConfig(process.env), { migrations: testMigrations });
try {
  const result = await db.open();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await db.close();
}
