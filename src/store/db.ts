/**
 * The store port. Nothing outside src/store holds a database client: domain code receives a
 * `Db` (or, inside a transaction, a `Queryable`) and speaks one SQL dialect, PostgreSQL's,
 * whether the adapter underneath is PGlite (embedded) or a real server through `pg`.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query: <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec: (sql: string) => Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` on each NOTIFY on `channel` (a lowercase identifier), and once after each
   * reconnect (notifications sent while disconnected are lost; callers also poll). Resolves to
   * a function that stops listening.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
