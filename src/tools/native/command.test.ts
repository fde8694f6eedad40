import { runTool } from '../../../test/support/tools.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandConfig } from '../../config/schema.js';
import type { ToolDefinition } from '../types.js';
import { createToolContext } from '../types.js';
import { createCommandTools, parseReport, placeholdersOf } from './command.js';

function command(argv: string[], extra: Partial<CommandConfig> = {}): CommandConfig {
  return {
    argv,
    blast_radius: 'low',
    reason: 'test command',
    timeout_ms: 5000,
    max_output_bytes: 65536,
    ...extra,
  };
}

function toolFor(config: CommandConfig): ToolDefinition {
  return createCommandTools({ test: config })[0]!;
}

const call = runTool;

afterEach(() => {
  delete process.env.AOS_TEST_SECRET;
});

describe('command tools', () => {
  const echo = toolFor(
    command(['echo', '{greeting}', 'to', 'user={name}'], { blast_radius: 'high', reason: 'says hi' }),
  );

  it('names the tool after the command and takes its blast radius from config', () => {
    expect([echo.name, echo.reversible, echo.blastRadius]).toEqual([
      'command.test',
      false,
      { level: 'high', reason: 'says hi' },
    ]);
  });

  it('runs the command with placeholders filled', async () => {
    expect(await call(echo, { greeting: 'hello', name: 'ops@example.com' })).toEqual({
      exit_code: 0,
      stdout: 'hello to user=ops@example.com\n',
      stderr: '',
      truncated: false,
    });
  });

  it('rejects shell metacharacters, spaces, option-like and missing or extra arguments', () => {
    for (const args of [
      { greeting: 'hi; rm -rf /', name: 'x' },
      { greeting: 'two words', name: 'x' },
      { greeting: '$(id)', name: 'x' },
      { greeting: '--help', name: 'x' },
      { greeting: '', name: 'x' },
      { greeting: 'hi' },
      { greeting: 'hi', name: 'x', extra: 'y' },
    ]) {
      expect(echo.input.safeParse(args).success, JSON.stringify(args)).toBe(false);
    }
  });

  it('returns a non-zero exit code as a result', async () => {
    const result = (await call(toolFor(command(['ls', '/nonexistent-aosiq-path'])), {})) as {
      exit_code: number;
    };
    expect(result.exit_code).not.toBe(0);
  });

  it('caps the output it keeps', async () => {
    const result = (await call(toolFor(command(['seq', '1', '100000'], { max_output_bytes: 10 })), {})) as {
      stdout: string;
      truncated: boolean;
    };
    expect(result).toMatchObject({ stdout: '1\n2\n3\n4\n5\n', truncated: true });
  });

  it('kills a command that runs past its timeout', async () => {
    await expect(call(toolFor(command(['sleep', '10'], { timeout_ms: 100 })), {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'command.test timed out after 100 ms and was killed',
    });
  });

  it('reports a program that does not exist', async () => {
    await expect(call(toolFor(command(['aosiq-no-such-program'])), {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('could not start "aosiq-no-such-program"'),
    });
  });

  it("reports the CPU time of the program and its children, which the runtime's own usage does not show", async () => {
    const burn = toolFor(command(['sh', '-c', 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done']));
    const usage = { cpuMs: null as number | null };
    const context = createToolContext({ signal: new AbortController().signal, idempotencyKey: 'k', actorId: 'a', sessionId: 's', usage });
    const before = process.cpuUsage();
    await burn.run({}, context);
    const own = process.cpuUsage(before);
    expect(usage.cpuMs).toBeGreaterThanOrEqual(50);
    // The loop ran in the child: our process used far less than it did.
    expect((own.user + own.system) / 1000).toBeLessThan(usage.cpuMs!);
  });

  it("reports a program killed by a signal with the shell's exit code, 128 + the signal", async () => {
    expect(await call(toolFor(command(['sh', '-c', 'kill -9 $$'])), {})).toMatchObject({ exit_code: 137 });
  });

  it('kills the whole process group on timeout, so a background child cannot hold the call open', async () => {
    await expect(
      call(toolFor(command(['sh', '-c', 'sleep 30 & sleep 30'], { timeout_ms: 200 })), {}),
    ).rejects.toMatchObject({ code: 'TOOL_FAILED', message: 'command.test timed out after 200 ms and was killed' });
  });

  it('reads the wrapper report, and treats a missing or partial one as unknown CPU', () => {
    expect(parseReport('0m0.010000s 0m0.000000s\n1m2.500000s 0m0.250000s\n3\n')).toEqual({ missing: false, cpuMs: 62_750, status: 3 });
    expect(parseReport('0m0.00s 0m0.00s\n0m0.16s 0m0.02s\n0\n')).toEqual({ missing: false, cpuMs: 180, status: 0 });
    expect(parseReport('missing\n')).toEqual({ missing: true, cpuMs: null, status: null });
    expect(parseReport('')).toEqual({ missing: false, cpuMs: null, status: null });
  });

  it('does not pass the runtime environment on to the command', async () => {
    process.env.AOS_TEST_SECRET = 'do-not-leak';
    const result = (await call(toolFor(command(['env'])), {})) as { stdout: string };
    expect(result.stdout).toContain('PATH=');
    expect(result.stdout).not.toContain('do-not-leak');
    // The one variable of ours: the call's idempotency key, the same on every attempt of a step.
    expect(result.stdout).toContain('AOSIQ_IDEMPOTENCY_KEY=k\n');
  });
});

describe('placeholdersOf', () => {
  it('lists each placeholder once, in order', () => {
    expect(placeholdersOf(['cp', '{from}', '{to}', '--backup={from}'])).toEqual(['from', 'to']);
  });
});
