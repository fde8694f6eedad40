/**
 * Reads `aosiq.yaml`, validates it and reports every problem at once, each with the
 * file:line:col of the node at fault, so an operator fixes the file in one pass.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Document, isAlias, isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { AosError } from '../errors.js';
import { type ConfigProblem, describeIssues, type FieldPath } from './issue-message.js';
import { type Config, configSchema } from './schema.js';

const TTL_VARIABLE = 'AOS_TOKEN_TTL_SECONDS';

interface Located {
  line: number;
  col: number;
  text: string;
}

/**
 * Loads and validates the config file, applies `AOS_TOKEN_TTL_SECONDS` from `env`, and
 * resolves root and module paths against the file's folder.
 *
 * @example
 * const config = loadConfig('aosiq.yaml');
 * config.tools.roots.workspace; // '/home/me/project/workspace'
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const text = readConfigText(file);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number) => lineCounter.linePos(offset);

  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const { line, col } = at(error.pos[0]);
      return { line, col, text: error.message.split('\n')[0]! };
    });
    throw invalid(file, problems);
  }

  const data = toData(file, document);
  const problems: Located[] = [];
  const result = configSchema.safeParse(data);
  if (!result.success) {
    for (const problem of describeIssues(result.error.issues, data, configSchema)) {
      const { line, col } = at(offsetOf(document, problem));
      problems.push({ line, col, text: `${formatPath(problem.path)}: ${problem.message}` });
    }
  }
  const ttlOverride = readTtlOverride(env);
  const environmentProblems = typeof ttlOverride === 'string' ? [ttlOverride] : [];
  if (!result.success || environmentProblems.length > 0) throw invalid(file, problems, environmentProblems);

  return resolvePaths(result.data, dirname(resolve(file)), ttlOverride);
}

/** The plain data of the document; alias problems only surface here, not as parse errors. */
function toData(file: string, document: Document): unknown {
  try {
    return document.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (error) {
    throw invalid(file, [], [`${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new AosError(
      'CONFIG_INVALID',
      `cannot read config file ${file}: ${reason}; run "aosiq init" to create one, or pass the path of an existing aosiq.yaml`,
      { file },
      { cause: error },
    );
  }
}

/** The env TTL as a number, an error text when set but not a positive integer, or undefined. */
function readTtlOverride(env: NodeJS.ProcessEnv): number | string | undefined {
  const raw = env[TTL_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (/^\s*\d+\s*$/.test(raw) && Number.isSafeInteger(seconds) && seconds > 0) return seconds;
  return `environment variable ${TTL_VARIABLE}=${JSON.stringify(raw)}: expected a positive integer number of seconds`;
}

function resolvePaths(config: Config, folder: string, ttlSeconds: number | string | undefined): Config {
  const roots = Object.fromEntries(
    Object.entries(config.tools.roots).map(([name, path]) => [name, resolve(folder, path)]),
  );
  return {
    ...config,
    token: typeof ttlSeconds === 'number' ? { ...config.token, ttl_seconds: ttlSeconds } : config.token,
    tools: { ...config.tools, roots, modules: config.tools.modules.map((path) => resolve(folder, path)) },
    mcp_servers: Object.fromEntries(
      // A stdio server runs in the config's folder unless told otherwise, so relative arguments mean the same from anywhere.
      Object.entries(config.mcp_servers).map(([name, server]) => [name, server.command === undefined ? server : { ...server, cwd: resolve(folder, server.cwd ?? '.') }]),
    ),
    mcp_pins_file: resolve(folder, config.mcp_pins_file),
    audit: {
      ...config.audit,
      anchors: { ...config.audit.anchors, directory: config.audit.anchors.directory && resolve(folder, config.audit.anchors.directory) },
    },
    auth: {
      ...config.auth,
      tls: config.auth.tls && { cert_file: resolve(folder, config.auth.tls.cert_file), key_file: resolve(folder, config.auth.tls.key_file) },
      mtls: config.auth.mtls && { ...config.auth.mtls, client_ca_file: resolve(folder, config.auth.mtls.client_ca_file) },
    },
  };
}

/** One error for all problems: those in the file in file order, then those from the environment. */
function invalid(file: string, located: Located[], environmentProblems: string[] = []): AosError {
  const sorted = [...located].sort((a, b) => a.line - b.line || a.col - b.col);
  const lines = [
    ...sorted.map((problem) => `${file}:${problem.line}:${problem.col}: ${problem.text}`),
    ...environmentProblems,
  ];
  const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
  return new AosError('CONFIG_INVALID', `invalid config ${file} (${count}):\n  ${lines.join('\n  ')}`, {
    file,
    problems: lines,
  });
}

function formatPath(path: FieldPath): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

/**
 * The source offset to report for a problem: the node itself when it exists, otherwise the
 * key of the nearest parent that does ("missing field" points at the mapping lacking it).
 */
function offsetOf(document: Document, problem: ConfigProblem): number {
  let node: unknown = document.contents;
  let parentKey = 0;
  for (const [index, segment] of problem.path.entries()) {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (!pair) return parentKey;
      parentKey = startOf(pair.key) ?? parentKey;
      if (index === problem.path.length - 1 && problem.target === 'key') return parentKey;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      parentKey = startOf(node) ?? parentKey;
    } else {
      return parentKey;
    }
  }
  return startOf(node) ?? parentKey;
}

function keyText(key: unknown): string | undefined {
  if (key !== null && typeof key === 'object' && 'value' in key) return keyText(key.value);
  return typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean' ? String(key) : undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
