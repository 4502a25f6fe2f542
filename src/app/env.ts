/** Hono environment of the app: what handlers find on the context. */
import type { AppDeps } from './deps.js';
import type { LicenceTypeRegistry } from '../services/licence-types.js';
import type { Principal } from '../services/tokens.js';

export interface Services extends AppDeps {
  registry: LicenceTypeRegistry;
}

export interface AppEnv {
  Variables: {
    services: Services;
    principal: Principal;
  };
}
