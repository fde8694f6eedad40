import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Runs `fn` with one connection to `url`, always closing it.
 *
 * @example
 * await withClient(url, (client) => client.query('SELECT 1'));
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database of its own on the server at `serverUrl` (a superuser URL) for a
 * test suite or a benchmark, and returns its URL and the function that drops it.
 *
 * @example
 * const scratch = await createScratchDatabase(process.env.AOS_TEST_DATABASE_URL!, 'aosiq_test');
 */
export async function createScratchDatabase(
  serverUrl: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
