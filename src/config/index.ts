export { type Grant, grantSchema } from '../security/capability/index.js';
export { exampleConfig } from './example.js';
export { loadConfig } from './load.js';
export {
  type ActorClassConfig,
  type BlastRadiusLevel,
  type CommandConfig,
  type Config,
  configSchema,
  type HttpConfig,
  type McpServerConfig,
  type NotificationsConfig,
} from './schema.js';
export type { AuthConfig, MtlsConfig, OidcConfig } from './auth.js';
export { type LlmBackendConfig, type LlmBackendKind, type LlmConfig, llmConfigSchema } from './llm.js';
