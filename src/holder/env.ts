/** What holder API handlers find on the context, besides the app's services. */
import type { AppEnv } from '../app/env.js';
import type { HolderPrincipal } from '../services/holder-access.js';

export interface HolderEnv {
  Variables: AppEnv['Variables'] & {
    /** The holder a session speaks for (routes behind requireHolderSession). */
    holder: HolderPrincipal;
  };
}
