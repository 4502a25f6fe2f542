/** Input checks shared by the register of authorities and the register of federated anchors. */
import { ElicenceError } from '../../core/errors.js';
import type { BilingualName } from '../../core/trust-list.js';

/** A did:web identifier (host with a percent-encoded port, then colon-separated path segments). */
export const DID_WEB = /^did:web:[A-Za-z0-9.%-]+(?::[A-Za-z0-9._~%-]+)*$/;
const TYPE_CODE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

export function checkName(name: BilingualName, field: string): BilingualName {
  for (const lang of ['zh', 'en'] as const) {
    const value = name?.[lang];
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 200) {
      throw new ElicenceError('ERR_VALIDATION', `${field}.${lang} must be 1 to 200 characters`, { field: `${field}.${lang}` });
    }
  }
  return { zh: name.zh.trim(), en: name.en.trim() };
}

export function checkTypes(types: readonly string[], field = 'licenceTypes'): string[] {
  if (!Array.isArray(types) || types.length === 0 || types.length > 200) {
    throw new ElicenceError('ERR_VALIDATION', `${field} must list 1 to 200 licence type codes`, { field });
  }
  types.forEach((t, i) => {
    if (typeof t !== 'string' || !TYPE_CODE.test(t)) throw new ElicenceError('ERR_VALIDATION', `"${String(t)}" is not a licence type code`, { field: `${field}[${i}]` });
  });
  return [...new Set(types)];
}
