/** Hono environment of the app: what handlers find on the context. */

import type { LicenceTypeRegistry } from '../services/licence-types.js';
import type { Principal } from '../services/tokens.js';
import type { AppDeps } from './deps.js';

export interface Services extends AppDeps {
  registry: LicenceTypeRegistry;
}

export interface AppEnv {
  Variables: {
    services: Services;
    principal: Principal;
  };
}
