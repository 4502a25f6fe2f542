/**
 * The fixed names of the development setup: the anchor and the issuing authority that `bootstrap`
 * creates on an empty database. Kept apart so that the anchor identity can name the development anchor
 * without importing the bootstrap, which builds on it.
 */
import type { BilingualName } from '../core/trust-list.js';

/** Owner id of the development anchor's signing key. */
export const DEV_ANCHOR_ID = 'dev-anchor';
/** The development anchor's name when the operator gave none. */
export const DEV_ANCHOR_NAME: BilingualName = { zh: '开发环境电子证照信任锚', en: 'Development e-licence trust anchor' };
export const DEV_AUTHORITY = {
  id: 'dev-city',
  name: { zh: '开发市市场监督管理局', en: 'Dev City Administration for Market Regulation' },
  jurisdiction: '330100',
  // A made-up code of a government organ (11 ...) in 330100, valid under GB 32100: development only.
  creditCode: '11330100DC00000011',
};
