export * from './api-keys.js';
export * from './authenticate.js';
export * from './scopes.js';
export * from './mtls.js';
export * from './oidc.js';
