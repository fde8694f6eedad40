import { runTool } from '../../../test/support/tools.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandConfig } from '../../config/schema.js';
import type { ToolDefinition } from '../types.js';
import { createCommandTools, placeholdersOf } from './command.js';

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

  it('does not pass the runtime environment on to the command', async () => {
    process.env.AOS_TEST_SECRET = 'do-not-leak';
    const result = (await call(toolFor(command(['env'])), {})) as { stdout: string };
    expect(result.stdout).toContain('PATH=');
    expect(result.stdout).not.toContain('do-not-leak');
  });
});

describe('placeholdersOf', () => {
  it('lists each placeholder once, in order', () => {
    expect(placeholdersOf(['cp', '{from}', '{to}', '--backup={from}'])).toEqual(['from', 'to']);
  });
});
