import { describe, expect, it } from 'vitest';
import { mcpServersSchema } from '../../config/mcp-servers.js';
import { isAosError } from '../../errors.js';
import { RESTART_BASE_MS, Upstream } from './upstream.js';

/** A server whose program exits at once: every start fails. */
function failing(lines: string[]): Upstream {
  const config = mcpServersSchema.parse({ broken: { command: [process.execPath, '-e', 'console.error("no config for broken"); process.exit(3)'], connect_timeout_ms: 5000 } }).broken!;
  return new Upstream({ name: 'broken', config, env: { PATH: process.env.PATH }, log: (line) => lines.push(line), onListing: () => undefined });
}

describe('an upstream connection that fails', () => {
  it('says why, refuses at once while down, and retries with doubling back-off', async () => {
    const lines: string[] = [];
    const upstream = failing(lines);
    try {
      const first = await upstream.ready().catch((error: unknown) => error);
      expect(isAosError(first, 'UPSTREAM_UNAVAILABLE')).toBe(true);
      expect((first as Error).message).toMatch(/^upstream MCP server broken is unavailable: it could not be started \(operators: aosiq mcp-servers list/);
      // What the server said is for the operator (it may echo its own secrets), not for the caller.
      expect((first as Error).message).not.toContain('no config for broken');
      expect(upstream.status).toMatchObject({ state: 'down', restarts: 0 });
      expect(upstream.status.lastError).toMatch(/could not start: .*its last words: no config for broken/);
      const firstDelay = upstream.status.nextAttemptAt! - Date.now();
      expect(firstDelay).toBeLessThanOrEqual(RESTART_BASE_MS);

      const began = Date.now();
      const second = await upstream.ready().catch((error: unknown) => error);
      expect(Date.now() - began).toBeLessThan(100);
      expect((second as Error).message).toMatch(/it is down; restarting in \d\.\d s/);

      // The restart happens on its own, fails again, and waits twice as long.
      await expect.poll(() => upstream.status.restarts, { timeout: 10_000 }).toBe(1);
      await expect.poll(() => upstream.status.state, { timeout: 10_000 }).toBe('down');
      expect(lines.some((line) => /restarting in 500 ms \(failure 2\)/.test(line))).toBe(true);
    } finally {
      await upstream.close();
    }
    expect(upstream.status.state).toBe('closed');
    await expect(upstream.ready()).rejects.toThrow(/shutting down/);
  });
});
