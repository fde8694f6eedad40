import { createHash } from 'node:crypto';
import pg from 'pg';
import { AosError } from '../errors.js';
import type { Db, Queryable, QueryResult } from './db.js';
import { listenPostgres } from './listen.js';

const INT8_OID = 20;

// int8 columns (bigserial ids, sequence numbers) come back as numbers, as they do from PGlite;
// our counters stay far below 2^53.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

// Every parameterised query runs as a named prepared statement: the server parses and plans it
// once per connection instead of on every call. Our SQL texts are a small fixed set.
const statementNames = new Map<string, string>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `aos_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    exec: async (sql: string) => {
      await client.query(sql);
    },
    query: async <Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> => {
      const result = await client.query({ name: statementName(sql), text: sql, values: params as unknown[] });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
  };
}

/**
 * Connects to a PostgreSQL server through a pool.
 *
 * @example
 * const db = await openPostgres('postgres://aosiq@127.0.0.1:5432/aosiq');
 */
export async function openPostgres(
  url: string,
  poolSize = Number(process.env.AOS_DB_POOL_SIZE ?? 20),
  idleTransactionTimeoutMs = 15_000,
): Promise<Db> {
  // Our transactions never wait on anything but the database, so a session idle inside one is a
  // client that froze or died: the server ends it and frees its locks (claims, session locks)
  // for the workers that recover its actors.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, keepAlive: true, idle_in_transaction_session_timeout: idleTransactionTimeoutMs });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new AosError(
      'STORE_UNAVAILABLE',
      `could not connect to PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`,
      { url: redactUrl(url) },
      { cause: error },
    );
  }
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      const client = await pool.connect();
      // A connection cut between statements (a server restart) surfaces as the next query's
      // error; without a listener, pg would also raise it as an uncaught 'error' event.
      const ignore = () => {};
      client.on('error', ignore);
      try {
        // Explicit, whatever the server's default: the session-lock paths rely on each statement
        // seeing what committed before the lock was granted.
        await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        client.off('error', ignore);
        client.release();
        return result;
      } catch (error) {
        // A client whose ROLLBACK fails has a broken connection: destroy it instead of reusing it.
        const broken = await client.query('ROLLBACK').then(
          () => undefined,
          (rollbackError: Error) => rollbackError,
        );
        client.off('error', ignore);
        client.release(broken);
        throw error;
      }
    },
    listen: (channel, onNotify) => listenPostgres(url, channel, onNotify),
    close: () => pool.end(),
  };
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
