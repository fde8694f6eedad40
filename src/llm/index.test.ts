import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/index.js';
import { llmConfigSchema } from '../config/llm.js';
import { isAosError } from '../errors.js';
import { openBackends } from './index.js';

const backends = {
  gpt: { kind: 'openai', base_url: 'https://api.openai.com/v1', api_key_env: 'TEST_OPENAI_KEY' },
  claude: { kind: 'anthropic', base_url: 'https://api.anthropic.com', api_key_env: 'TEST_ANTHROPIC_KEY' },
  local: { kind: 'ollama', base_url: 'http://localhost:11434' },
  vllm: { kind: 'openai', base_url: 'http://localhost:8000/v1' },
};

describe('openBackends', () => {
  it('opens one backend per configured name, of its kind', () => {
    const config = llmConfigSchema.parse({ backends });
    const opened = openBackends(config, { TEST_OPENAI_KEY: 'sk-1', TEST_ANTHROPIC_KEY: 'sk-ant-1' });
    expect([...opened.entries()].map(([name, backend]) => [name, backend.name, backend.kind])).toEqual([
      ['gpt', 'gpt', 'openai'],
      ['claude', 'claude', 'anthropic'],
      ['local', 'local', 'ollama'],
      ['vllm', 'vllm', 'openai'],
    ]);
  });

  it('refuses to start when a named key variable is unset or empty, naming backend and variable', () => {
    const config = llmConfigSchema.parse({ backends });
    for (const env of [{ TEST_OPENAI_KEY: 'sk-1' }, { TEST_OPENAI_KEY: 'sk-1', TEST_ANTHROPIC_KEY: '' }]) {
      let caught: unknown;
      try {
        openBackends(config, env);
      } catch (error) {
        caught = error;
      }
      expect(isAosError(caught, 'CONFIG_INVALID')).toBe(true);
      expect((caught as Error).message).toBe(
        'llm.backends.claude.api_key_env names TEST_ANTHROPIC_KEY, which is not set in the environment; export the anthropic API key as TEST_ANTHROPIC_KEY',
      );
    }
  });
});

describe('the llm section of aosiq.yaml', () => {
  it('is optional, and fills in timeout, size and price defaults', () => {
    expect(configSchema.parse({ version: 1 }).llm).toEqual({ backends: {} });
    expect(llmConfigSchema.parse({ backends: { local: backends.local } }).backends.local).toEqual({
      kind: 'ollama',
      base_url: 'http://localhost:11434',
      timeout_ms: 120000,
      max_response_bytes: 8388608,
      prices: {},
    });
  });

  it('requires api_key_env of an anthropic backend, and keeps max_tokens_field to openai ones', () => {
    const messages = (value: unknown) => llmConfigSchema.safeParse(value).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(messages({ backends: { claude: { kind: 'anthropic', base_url: 'https://api.anthropic.com' } } })).toEqual([
      expect.stringMatching(/^backends\.claude\.api_key_env: an anthropic backend needs api_key_env/),
    ]);
    expect(messages({ backends: { local: { ...backends.local, max_tokens_field: 'max_completion_tokens' } } })).toEqual([
      expect.stringMatching(/^backends\.local\.max_tokens_field: max_tokens_field applies to openai backends only/),
    ]);
    expect(messages({ backends: { local: { ...backends.local, base_url: 'ftp://x' } } })).toHaveLength(1);
    expect(messages({ backends: { local: { ...backends.local, api_key: 'sk-in-the-file' } } })).toHaveLength(1);
  });
});
