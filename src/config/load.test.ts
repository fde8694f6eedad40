import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AosError } from '../errors.js';
import { actorClasses } from '../runtime.js';
import { exampleConfig } from './example.js';
import { loadConfig } from './load.js';

const folder = mkdtempSync(join(tmpdir(), 'aosiq-config-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let fileCount = 0;
function write(text: string): string {
  fileCount += 1;
  const file = join(folder, `aosiq-${fileCount}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** The CONFIG_INVALID error `loadConfig` throws for this text, with its problem lines. */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): { file: string; problems: string[] } {
  const file = write(text);
  try {
    loadConfig(file, env);
  } catch (error) {
    expect(error).toBeInstanceOf(AosError);
    const aos = error as AosError;
    expect(aos.code).toBe('CONFIG_INVALID');
    return { file, problems: aos.details.problems as string[] };
  }
  throw new Error('expected loadConfig to fail');
}

const CLASS = `version: 1
actor_classes:
  triage:
    kind: agent
    capabilities: [{ tool: fs.read }]
`;

describe('loadConfig', () => {
  it('loads the example config with paths resolved against its folder', () => {
    const config = loadConfig(write(exampleConfig()), {});
    expect(config.tools.roots.workspace).toBe(join(folder, 'workspace'));
    expect(Object.keys(config.actor_classes).sort()).toEqual(['deployer', 'janitor', 'reviewer']);
    expect(config.actor_classes.reviewer?.token_ttl_seconds).toBe(1800);
    expect(config.tools.commands.announce?.argv).toEqual(['echo', '{message}']);
  });

  it('applies defaults to a minimal file', () => {
    const config = loadConfig(write('version: 1\n'), {});
    expect(config.token).toEqual({
      issuer: 'aosiq',
      audience: 'aosiq',
      ttl_seconds: 3600,
      max_delegation_depth: 4,
    });
    expect(config.limits.max_args_bytes).toBe(65536);
    expect(config.operator.grants).toEqual([{ tool: '*' }]);
    expect(config.tools.http.timeout_ms).toBe(10000);
  });

  it('resolves module paths and lets AOS_TOKEN_TTL_SECONDS override the TTL', () => {
    const config = loadConfig(write('version: 1\ntools:\n  modules: [./tools/mine.js]\n'), {
      AOS_TOKEN_TTL_SECONDS: '120',
    });
    expect(config.tools.modules).toEqual([join(folder, 'tools/mine.js')]);
    expect(config.token.ttl_seconds).toBe(120);
  });

  it('names a missing file and suggests aosiq init', () => {
    const missing = join(folder, 'nope.yaml');
    expect(() => loadConfig(missing, {})).toThrow(/nope\.yaml.*no such file.*aosiq init/);
  });

  it('points at a wrong enum value', () => {
    const { file, problems } = problemsOf(CLASS.replace('kind: agent', 'kind: robot'));
    expect(problems).toEqual([
      `${file}:4:11: actor_classes.triage.kind: expected one of agent|job|script, got "robot"`,
    ]);
  });

  it('gives every class a scan budget, and points at one that is no whole number of milliseconds', () => {
    const config = loadConfig(write(CLASS), {});
    expect(config.actor_classes.triage?.untrusted_content).toEqual({ action: 'warn', threshold: 0.5, scan_timeout_ms: 2000 });
    expect(actorClasses(config).get('triage')?.untrusted).toEqual({ action: 'warn', threshold: 0.5, timeoutMs: 2000 });
    const { file, problems } = problemsOf(`${CLASS}    untrusted_content: { action: block, scan_timeout_ms: 0.5 }\n`);
    expect(problems).toEqual([`${file}:6:58: actor_classes.triage.untrusted_content.scan_timeout_ms: expected an integer, got 0.5`]);
  });

  it('points at a value of the wrong type', () => {
    const { file, problems } = problemsOf('version: 1\ntoken:\n  ttl_seconds: soon\n');
    expect(problems).toEqual([`${file}:3:16: token.ttl_seconds: expected a number, got "soon"`]);
  });

  it('points at a misspelt key and suggests the right one', () => {
    const { file, problems } = problemsOf(CLASS.replace('kind: agent', 'kind: agent\n    descripton: x'));
    expect(problems).toEqual([
      `${file}:5:5: actor_classes.triage.descripton: unknown field "descripton" (did you mean "description"?)`,
    ]);
  });

  it('points a missing required field at its parent key', () => {
    const { file, problems } = problemsOf(CLASS.replace('    kind: agent\n', ''));
    expect(problems).toEqual([
      `${file}:3:3: actor_classes.triage.kind: missing required field (expected one of agent|job|script)`,
    ]);
  });

  it('reports a bad grant tool pattern and a bad constraint', () => {
    const { file, problems } = problemsOf(`version: 1
actor_classes:
  triage:
    kind: agent
    capabilities:
      - tool: "FS.Read"
      - tool: fs.read
        constraints:
          path: [{ prefix: 3 }, { prefx: logs/ }]
`);
    expect(problems).toEqual([
      `${file}:6:15: actor_classes.triage.capabilities[0].tool: a tool pattern is an exact name like "fs.read", a family like "fs.*", or "*", got "FS.Read"`,
      `${file}:9:28: actor_classes.triage.capabilities[1].constraints.path[0].prefix: expected a string, got 3`,
      expect.stringMatching(
        new RegExp(
          `^${file}:9:33: actor_classes.triage.capabilities\\[1\\].constraints.path\\[1\\]: expected exactly one of`,
        ),
      ),
    ]);
  });

  it('rejects a class name that is not a lowercase name', () => {
    const { file, problems } = problemsOf(CLASS.replace('triage:', 'Triage:'));
    expect(problems).toEqual([
      `${file}:3:3: actor_classes.Triage: expected a name of lowercase letters, digits, "_" or "-", starting with a letter, got "Triage"`,
    ]);
  });

  it('refuses a {placeholder} in the program of a command', () => {
    const { file, problems } = problemsOf(`version: 1
tools:
  commands:
    run: { argv: ["{program}"], blast_radius: high, reason: runs anything }
`);
    expect(problems).toEqual([
      `${file}:4:19: tools.commands.run.argv[0]: the program (first argv element) must not contain a {placeholder}, got "{program}"`,
    ]);
  });

  it('reports a YAML syntax error with its position', () => {
    const { file, problems } = problemsOf('version: 1\nactor_classes:\n  triage: [unclosed\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(new RegExp(`^${file}:\\d+:\\d+: `));
    expect(problems[0]).not.toMatch(/at line/);
  });

  it('reports a duplicate key as a YAML error', () => {
    const { file, problems } = problemsOf('version: 1\nversion: 1\n');
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${file}:2:1: .*unique`))]);
  });

  it('reports an alias without an anchor', () => {
    const { file, problems } = problemsOf('version: 1\ntoken: *missing\n');
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${file}: Unresolved alias.*missing`))]);
  });

  it('names the variable and value of a bad AOS_TOKEN_TTL_SECONDS', () => {
    for (const bad of ['0', '-5', '1.5', 'ten']) {
      const { problems } = problemsOf('version: 1\n', { AOS_TOKEN_TTL_SECONDS: bad });
      expect(problems).toEqual([
        `environment variable AOS_TOKEN_TTL_SECONDS=${JSON.stringify(bad)}: expected a positive integer number of seconds`,
      ]);
    }
  });

  it('reports every problem in one error, in file order', () => {
    const { file, problems } = problemsOf(
      `version: 2
token:
  ttl_seconds: 0
actor_classes:
  triage:
    kind: robot
    capabilities: []
    session_ceiling_usd: -1
`,
      { AOS_TOKEN_TTL_SECONDS: 'x' },
    );
    expect(problems).toEqual([
      `${file}:1:10: version: expected 1, got 2`,
      `${file}:3:16: token.ttl_seconds: expected a number > 0, got 0`,
      `${file}:6:11: actor_classes.triage.kind: expected one of agent|job|script, got "robot"`,
      `${file}:8:26: actor_classes.triage.session_ceiling_usd: expected a number > 0, got -1`,
      'environment variable AOS_TOKEN_TTL_SECONDS="x": expected a positive integer number of seconds',
    ]);
  });

  it('checks mcp_servers: one transport each, no AOSIQ credentials passed on, prefixes of their own', () => {
    const { file, problems } = problemsOf(`version: 1
mcp_servers:
  both: { command: [mcp-server], url: "https://mcp.example.com/mcp" }
  leaky: { command: [mcp-server], pass_env: [AOS_TOKEN] }
  fs: { url: "https://mcp.example.com/mcp", cwd: /srv }
  one: { command: [a] }
  two: { command: [b], prefix: one }
`);
    expect(problems).toEqual([
      `${file}:3:9: mcp_servers.both: give exactly one of command (a program speaking MCP on stdio) or url (a Streamable HTTP endpoint), got a mapping with command, url`,
      `${file}:4:46: mcp_servers.leaky.pass_env[0]: AOS_* variables hold AOSIQ credentials and are never passed upstream, got "AOS_TOKEN"`,
      `${file}:5:7: mcp_servers.fs: prefix "fs" is used by AOSIQ's own tools; set another prefix, got a mapping with url, cwd`,
      `${file}:5:50: mcp_servers.fs.cwd: cwd applies to a command (stdio) server only, got "/srv"`,
      `${file}:7:32: mcp_servers.two.prefix: prefix "one" is already used by mcp_servers.one, got "one"`,
    ]);
  });

  it('resolves the pins file and a server cwd against the config folder', () => {
    const file = write('version: 1\nmcp_servers:\n  docs: { command: [mcp-docs], cwd: servers/docs }\n  here: { command: [mcp-here] }\n  remote: { url: "https://mcp.example.com/mcp" }\n');
    const config = loadConfig(file, {});
    expect(config.mcp_servers.here!.cwd).toBe(folder);
    expect(config.mcp_servers.remote!.cwd).toBeUndefined();
    expect(config.mcp_pins_file).toBe(join(folder, 'aosiq.mcp-pins.json'));
    expect(config.mcp_servers.docs).toMatchObject({ cwd: join(folder, 'servers/docs'), blast_radius: 'high', timeout_ms: 60000, tools: {} });
  });
});
