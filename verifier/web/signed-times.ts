/**
 * How old the data on this device is, for the header that is always on screen. Read from the signed
 * times inside each piece (decoded, not verified: this is an indicator only, every verdict is computed
 * by verify() from verified pieces and shows its own ages among the checks).
 */
import { parseDateTimeMs } from '../../src/core/dates.js';
import { fromBase64url, fromUtf8 } from '../../src/core/encoding.js';
import { isRecord } from '../../src/core/strict-json.js';
import { DEFAULT_MAX_STATUS_AGE_SECONDS, DEFAULT_TRUST_LIST_GRACE_SECONDS, type VerifierBundle } from '../index.js';

export function jwsPayload(jws: string): Record<string, unknown> | undefined {
  try {
    const part = jws.split('.')[1];
    const bytes = part === undefined ? undefined : fromBase64url(part);
    const value: unknown = bytes && JSON.parse(fromUtf8(bytes));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export type Freshness = 'fresh' | 'grace' | 'stale' | 'missing';

export interface DataAges {
  trust: { ageSeconds: number; expiresAt: number; state: Freshness } | undefined;
  /** The oldest status list (the one that limits how far status answers can be trusted). */
  status: { ageSeconds: number; count: number; state: Freshness } | undefined;
}

const ms = (text: unknown) => parseDateTimeMs(text) ?? Number.NaN;

export function dataAges(bundle: VerifierBundle | undefined, now: number): DataAges {
  if (!bundle) return { trust: undefined, status: undefined };
  let trust: DataAges['trust'];
  let newestSequence = -1;
  for (const entry of bundle.trustLists) {
    const payload = jwsPayload(entry.jws);
    const issued = ms(payload?.issuedAt);
    const expires = ms(payload?.expiresAt);
    const sequence = typeof payload?.sequence === 'number' ? payload.sequence : -1;
    if (!Number.isFinite(issued) || !Number.isFinite(expires) || sequence < newestSequence) continue;
    newestSequence = sequence;
    const state: Freshness = now <= expires ? 'fresh' : now <= expires + DEFAULT_TRUST_LIST_GRACE_SECONDS * 1000 ? 'grace' : 'stale';
    trust = { ageSeconds: (now - issued) / 1000, expiresAt: expires, state };
  }
  let status: DataAges['status'];
  let anyStale = false;
  for (const entry of bundle.statusLists) {
    const payload = jwsPayload(entry.jws);
    const iat = typeof payload?.iat === 'number' ? payload.iat * 1000 : Number.NaN;
    if (!Number.isFinite(iat)) continue;
    const validUntil = ms(payload?.validUntil);
    const age = (now - iat) / 1000;
    const stale = age > DEFAULT_MAX_STATUS_AGE_SECONDS || (Number.isFinite(validUntil) && now > validUntil);
    anyStale ||= stale;
    if (!status || age > status.ageSeconds) status = { ageSeconds: age, count: 0, state: 'fresh' };
  }
  if (status) {
    status.count = new Set(bundle.statusLists.map((s) => s.url)).size;
    status.state = anyStale ? 'stale' : 'fresh';
  }
  return { trust, status };
}
