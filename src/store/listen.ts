/**
 * LISTEN on a connection of its own (a pooled one would hand it back), reconnecting after a
 * server restart. Notifications only wake; whoever listens also polls, so one that is lost
 * while the connection is down costs a poll interval, never work.
 */
import pg from 'pg';
import { checkChannel } from './channel.js';

const RECONNECT_MS = 1000;

/**
 * @example
 * const stop = await listenPostgres(url, 'aos_runnable', () => wake());
 */
export async function listenPostgres(url: string, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  checkChannel(channel);
  let current: pg.Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const retry = () => {
    current = null;
    if (!closed && timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, RECONNECT_MS);
      timer.unref();
    }
  };
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', () => onNotify());
    client.on('error', () => {});
    client.on('end', retry);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (closed) {
        await client.end();
        return;
      }
      current = client;
      onNotify();
    } catch {
      await client.end().catch(() => {});
      retry();
    }
  };
  await connect();
  return async () => {
    closed = true;
    clearTimeout(timer);
    await (current)?.end().catch(() => {});
  };
}
