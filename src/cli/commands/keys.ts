import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { loadOrCreateKeyStore } from '../../security/capability/index.js';
import { globalOptions, type Run } from '../context.js';
import { emit, type Io } from '../output.js';
import { registerApiKeys } from './keys-api.js';

export function registerKeys(program: Command, io: Io, run: Run): void {
  const keys = program.command('keys').description('token signing keys and HTTP API keys');
  keys
    .command('jwks')
    .description('print the public keys that verify capability tokens (JWKS), for outside verifiers')
    .action(
      run(async (_options: unknown, command: Command) => {
        const store = await loadOrCreateKeyStore(path.join(globalOptions(command).dataDir, 'keys'));
        io.out(JSON.stringify(store.jwks(), null, 2));
      }),
    );
  keys
    .command('rotate')
    .description(
      'make a new signing key active; old keys keep verifying until their tokens can no longer be live',
    )
    .action(
      run(async (_options: unknown, command: Command) => {
        const global = globalOptions(command);
        const config = loadConfig(global.config);
        const ttls = Object.values(config.actor_classes).map((cls) => cls.token_ttl_seconds ?? 0);
        const maxTtl = Math.max(config.token.ttl_seconds, ...ttls);
        const store = await loadOrCreateKeyStore(path.join(global.dataDir, 'keys'));
        const kid = await store.rotate(maxTtl);
        emit(io, global.json, { kid, previousKeysRetireAfterSeconds: maxTtl }, [
          `new signing key ${kid}; previous keys keep verifying for ${maxTtl}s`,
        ]);
      }),
    );
  registerApiKeys(keys, io, run);
}
