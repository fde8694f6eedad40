import 'fastify';
import type { Caller, RouteAuth } from './auth/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated API caller; null on public routes and for capability-token requests. */
    caller: Caller | null;
    /** The actor capability token a `capability` route was called with. */
    capability: string | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}
