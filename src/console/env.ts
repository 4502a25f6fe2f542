/** What console handlers find on the context, besides the app's services. */

import type { AppEnv } from '../app/env.js';
import type { LiveSession } from '../services/sessions.js';
import type { Principal } from '../services/tokens.js';
import type { Lang, Messages } from './i18n.js';

export interface ConsoleEnv {
  Variables: AppEnv['Variables'] & {
    lang: Lang;
    m: Messages;
    /** The signed-in person (pages behind requireStaff). */
    live: LiveSession;
    principal: Principal;
  };
}
