/**
 * Holder devices and bound copies (docs/credential-format.md §Bound copies). A holder (credit code, within
 * one authority) registers up to 5 active device keys (its administrators); each device gets a bound
 * copy of every current licence of the holder: the licence bound to the device key (`cnf`), valid for
 * 30 days at most, with a revocation slot of its own. Renewing re-signs copies near their end (same
 * slot) and binds licences issued since; removing a device sets the bits of all its copies' own slots
 * (the licences stay valid) and stops renewals. Every function takes a HolderScope, so the agency API
 * and the holder API (a holder session, limited to its own credit code) call the same code.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { BOUND_COPY_MAX_MS, buildBoundCopy, checkDeviceJwk, type DeviceJwk } from '../core/bound-credentials.js';
import { creditCodeProblem } from '../core/credit-code.js';
import { formatTimestamp } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { jwkThumbprint } from '../core/jws-sign.js';
import { boundCopies, holderDevices, licences } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import type { AuditEntryInput } from './audit.js';
import {
  assertHolderInScope,
  bumpListVersion,
  credentialSlot,
  currentLicencesOf,
  type HolderScope,
  licencePayload,
  lockedWrite,
  requireScopedLicence,
  signerFor,
  withLicenceStatus,
} from './derived-credentials.js';
import type { LicenceRow } from './issuance.js';
import type { ServiceDeps } from './ports.js';
import { type StatusSlot, statusListUrl } from './status-allocation.js';

/** At most this many active devices (administrators) per holder. */
export const MAX_ACTIVE_DEVICES = 5;
/** A bound copy is renewed when it ends within this many days (the holder app asks while online). */
export const DEFAULT_RENEW_WITHIN_DAYS = 10;
export const MAX_DEVICE_LABEL_LENGTH = 64;

export type DeviceRow = typeof holderDevices.$inferSelect;
export type BoundCopyRow = typeof boundCopies.$inferSelect;

export interface BoundCopyView {
  id: string;
  licenceId: string;
  deviceId: string;
  holderCreditCode: string;
  status: 'active' | 'revoked' | 'expired';
  statusReason: string | null;
  validUntil: string;
  issuedAt: string;
  /** The bound copy's own revocation entry (the licence's entries are in the credential). */
  ownStatus: { statusListCredential: string; statusListIndex: number };
  credential: string;
}

export interface DeviceView {
  id: string;
  holderCreditCode: string;
  label: string | null;
  status: 'active' | 'removed';
  jwk: DeviceJwk;
  createdAt: string;
  removedAt: string | null;
}

export function deviceView(row: DeviceRow): DeviceView {
  return {
    id: row.id,
    holderCreditCode: row.holderCreditCode,
    label: row.label,
    status: row.status,
    jwk: JSON.parse(row.publicJwk) as DeviceJwk,
    createdAt: formatTimestamp(row.createdAt),
    removedAt: row.removedAt === null ? null : formatTimestamp(row.removedAt),
  };
}

export function boundCopyView(row: BoundCopyRow, publicUrl: string, now: number): BoundCopyView {
  return {
    id: row.id,
    licenceId: row.licenceId,
    deviceId: row.deviceId,
    holderCreditCode: row.holderCreditCode,
    status: row.status === 'revoked' ? 'revoked' : row.validUntil <= now ? 'expired' : 'active',
    statusReason: row.statusReason,
    validUntil: formatTimestamp(row.validUntil),
    issuedAt: formatTimestamp(row.issuedAt),
    ownStatus: { statusListCredential: statusListUrl(publicUrl, row.revocationListId), statusListIndex: row.revocationIndex },
    credential: row.jws,
  };
}

function assertCreditCode(creditCode: string): void {
  const problem = creditCodeProblem(creditCode);
  if (problem) throw new ElicenceError('ERR_CREDIT_CODE', `${creditCode} is not a valid unified social credit code (${problem})`, { field: 'creditCode' });
}

/** The holder's current licences in scope; 404 when it has none here (unknown holder, or another authority's). */
async function requireHolder(db: Db, scope: HolderScope, creditCode: string, now: number): Promise<LicenceRow[]> {
  assertCreditCode(creditCode);
  assertHolderInScope(scope, creditCode);
  const current = await currentLicencesOf(db, scope, creditCode, now);
  if (current.length === 0) throw new ElicenceError('ERR_NOT_FOUND', `holder ${creditCode} has no current licence here`, { field: 'creditCode' });
  return current;
}

async function devicesOf(db: Db, authorityId: string, creditCode: string): Promise<DeviceRow[]> {
  return db
    .select()
    .from(holderDevices)
    .where(and(eq(holderDevices.authorityId, authorityId), eq(holderDevices.holderCreditCode, creditCode)))
    .orderBy(desc(holderDevices.createdAt));
}

async function requireDevice(db: Db, scope: HolderScope, creditCode: string, deviceId: string): Promise<DeviceRow> {
  assertHolderInScope(scope, creditCode);
  const [row] = await db
    .select()
    .from(holderDevices)
    .where(and(eq(holderDevices.authorityId, scope.authorityId), eq(holderDevices.holderCreditCode, creditCode), eq(holderDevices.id, deviceId)));
  if (!row) throw new ElicenceError('ERR_NOT_FOUND', `no device ${deviceId} of holder ${creditCode}`, { field: 'deviceId' });
  return row;
}

/**
 * Removing a device revokes its copies of every licence type: a token limited to some types may not
 * revoke a copy of another (it could not revoke that licence itself).
 */
async function assertCopiesInTypeScope(db: Db, scope: HolderScope, copies: readonly BoundCopyRow[]): Promise<void> {
  if (!scope.licenceTypes || copies.length === 0) return;
  const rows = await db
    .select({ type: licences.type })
    .from(licences)
    .where(
      inArray(
        licences.id,
        copies.map((c) => c.licenceId),
      ),
    );
  const outside = rows.find((row) => !scope.licenceTypes!.has(row.type));
  if (outside) throw new ElicenceError('ERR_FORBIDDEN', `this token may not act on licence type ${outside.type}: the device carries a bound copy of one`, { field: 'type' });
}

/** The devices of a holder (active first, newest first). 404 for a token limited to types the holder has no current licence of. */
export async function listDevices(deps: ServiceDeps, scope: HolderScope, creditCode: string): Promise<DeviceView[]> {
  assertCreditCode(creditCode);
  assertHolderInScope(scope, creditCode);
  const rows = await devicesOf(deps.store.db, scope.authorityId, creditCode);
  // A token limited to some types sees the devices of a holder with a current licence of those types only.
  if (rows.length === 0 || scope.licenceTypes) await requireHolder(deps.store.db, scope, creditCode, deps.clock.now());
  return rows.sort((a, b) => (a.status === b.status ? 0 : a.status === 'active' ? -1 : 1)).map(deviceView);
}

/** Signs a bound copy of `licence` for `device` in `slot` at `now`: the row to insert or update. */
async function signBoundCopy(
  deps: ServiceDeps,
  signer: Awaited<ReturnType<typeof signerFor>>,
  licence: LicenceRow,
  device: { id: string; jwk: DeviceJwk },
  slot: Pick<StatusSlot, 'listId' | 'index'>,
  now: number,
  id: string,
): Promise<BoundCopyRow> {
  const payload = buildBoundCopy(licencePayload(licence), { ownStatusEntry: credentialSlot(deps, slot), deviceJwk: device.jwk, iat: new Date(now) });
  const iat = Math.floor(now / 1000) * 1000;
  return {
    id,
    authorityId: licence.authorityId,
    holderCreditCode: licence.holderCreditCode,
    deviceId: device.id,
    licenceId: licence.id,
    status: 'active',
    statusReason: null,
    revocationListId: slot.listId,
    revocationIndex: slot.index,
    validUntil: Math.min(licence.validUntil ?? Number.POSITIVE_INFINITY, iat + BOUND_COPY_MAX_MS),
    issuedAt: iat,
    updatedAt: now,
    kid: signer.kid,
    jws: await signer.sign(payload),
  };
}

const auditOf = (scope: HolderScope, action: string, subjectId: string, content: Record<string, unknown>): AuditEntryInput => ({
  action,
  actor: scope.actor,
  staffId: scope.staffId,
  authorityId: scope.authorityId,
  subjectId,
  content,
});

const copyAudit = (row: BoundCopyRow) => ({ id: row.id, licenceId: row.licenceId, list: row.revocationListId, index: row.revocationIndex, validUntil: row.validUntil });

export interface RegisteredDevice {
  device: DeviceView;
  boundCopies: BoundCopyView[];
  /** false: the key was already an active device of the holder (nothing changed). */
  created: boolean;
}

/**
 * Registers a device key for a holder and issues a bound copy of each of its current licences (own
 * slots). ERR_DEVICE_KEY for a key that is not a P-256 public key; ERR_DEVICE_LIMIT (409) when the
 * holder already has 5 active devices; 404 for a holder without a current licence in scope. The same
 * key registered again while active answers with the device as it is.
 */
export async function registerDevice(deps: ServiceDeps, scope: HolderScope, creditCode: string, input: { jwk: unknown; label?: string | undefined }): Promise<RegisteredDevice> {
  const jwk = checkDeviceJwk(input.jwk, 'jwk');
  const label = input.label?.trim() || null;
  if (label !== null && [...label].length > MAX_DEVICE_LABEL_LENGTH) {
    throw new ElicenceError('ERR_VALIDATION', `label is at most ${MAX_DEVICE_LABEL_LENGTH} characters`, { field: 'label' });
  }
  const deviceId = await jwkThumbprint(jwk);
  const signer = await signerFor(deps, scope.authorityId);
  return lockedWrite<RegisteredDevice>(deps, scope.authorityId, async (draw, now) => {
    const db = deps.store.db;
    const current = await requireHolder(db, scope, creditCode, now);
    const devices = await devicesOf(db, scope.authorityId, creditCode);
    const existing = devices.find((d) => d.id === deviceId);
    if (existing?.status === 'active') {
      const held = await db
        .select({ copy: boundCopies, type: licences.type })
        .from(boundCopies)
        .innerJoin(licences, eq(licences.id, boundCopies.licenceId))
        .where(
          and(eq(boundCopies.authorityId, scope.authorityId), eq(boundCopies.deviceId, deviceId), eq(boundCopies.holderCreditCode, creditCode), eq(boundCopies.status, 'active')),
        );
      // A token limited to some types sees only the copies of those types (the device key is public: anyone may send it again).
      const copies = held.filter((row) => !scope.licenceTypes || scope.licenceTypes.has(row.type)).map((row) => row.copy);
      return { statements: [], audit: [], result: { device: deviceView(existing), boundCopies: copies.map((r) => boundCopyView(r, deps.config.publicUrl, now)), created: false } };
    }
    const taken = new Set(devices.filter((d) => d.status === 'active').map((d) => d.slot));
    if (taken.size >= MAX_ACTIVE_DEVICES) {
      throw new ElicenceError('ERR_DEVICE_LIMIT', `holder ${creditCode} already has ${MAX_ACTIVE_DEVICES} active devices: remove one first`, { field: 'jwk' });
    }
    const slot = [1, 2, 3, 4, 5].find((n) => !taken.has(n))!;
    const device: DeviceRow = {
      authorityId: scope.authorityId,
      holderCreditCode: creditCode,
      id: deviceId,
      publicJwk: JSON.stringify(jwk),
      label,
      status: 'active',
      slot,
      createdAt: now,
      removedAt: null,
    };
    const slots = await draw(current.length);
    const rows = await Promise.all(current.map((licence, i) => signBoundCopy(deps, signer, licence, { id: deviceId, jwk }, slots[i]!, now, uuidv7())));
    const statements: Statement[] = [
      existing
        ? db
            .update(holderDevices)
            .set({ status: 'active', slot, label, createdAt: now, removedAt: null })
            .where(and(eq(holderDevices.authorityId, scope.authorityId), eq(holderDevices.holderCreditCode, creditCode), eq(holderDevices.id, deviceId)))
        : db.insert(holderDevices).values(device),
      ...(rows.length === 0 ? [] : [db.insert(boundCopies).values(rows)]),
    ];
    return {
      statements,
      audit: [auditOf(scope, 'device.registered', `${creditCode}/${deviceId}`, { holderCreditCode: creditCode, deviceId, number: slot, boundCopies: rows.map(copyAudit) })],
      result: { device: deviceView(device), boundCopies: rows.map((r) => boundCopyView(r, deps.config.publicUrl, now)), created: true },
    };
  });
}

/**
 * Removes a device: sets the own revocation bit of every bound copy it holds (reason `other`), so a lost
 * phone's copies are refused after the next status sync while the licences stay valid, and stops its
 * renewals. 404 for an unknown device, 409 ERR_ILLEGAL_TRANSITION when already removed.
 */
export async function removeDevice(deps: ServiceDeps, scope: HolderScope, creditCode: string, deviceId: string, note?: string): Promise<DeviceView> {
  assertCreditCode(creditCode);
  return lockedWrite(deps, scope.authorityId, async (_draw, now) => {
    const db = deps.store.db;
    const device = await requireDevice(db, scope, creditCode, deviceId);
    if (device.status !== 'active') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `device ${deviceId} was already removed`, { field: 'deviceId' });
    const copies = await db
      .select()
      .from(boundCopies)
      .where(
        and(eq(boundCopies.authorityId, scope.authorityId), eq(boundCopies.holderCreditCode, creditCode), eq(boundCopies.deviceId, deviceId), eq(boundCopies.status, 'active')),
      );
    await assertCopiesInTypeScope(db, scope, copies);
    const lists = [...new Set(copies.map((c) => c.revocationListId))];
    return {
      statements: [
        db
          .update(holderDevices)
          .set({ status: 'removed', removedAt: now })
          .where(
            and(
              eq(holderDevices.authorityId, scope.authorityId),
              eq(holderDevices.holderCreditCode, creditCode),
              eq(holderDevices.id, deviceId),
              eq(holderDevices.status, 'active'),
            ),
          ),
        ...(copies.length === 0
          ? []
          : [
              db
                .update(boundCopies)
                .set({ status: 'revoked', statusReason: 'other', updatedAt: now })
                .where(
                  inArray(
                    boundCopies.id,
                    copies.map((c) => c.id),
                  ),
                ),
            ]),
        ...lists.map((listId) => bumpListVersion(db, listId)),
      ],
      audit: [
        auditOf(scope, 'device.removed', `${creditCode}/${deviceId}`, {
          holderCreditCode: creditCode,
          deviceId,
          revoked: copies.map(copyAudit),
          lists,
          ...(note === undefined ? {} : { note }),
        }),
      ],
      result: deviceView({ ...device, status: 'removed', removedAt: now }),
    };
  });
}

/**
 * The bound copies a device should hold now, renewed: a copy of a current licence that ends within
 * `withinDays` is re-signed (same own slot, new `iat` and `validUntil`); a current licence the device has
 * no copy of yet (issued, or amended, since) gets one with a new slot. Copies of licences no longer
 * current are left as they are. A removed device is 409 ERR_ILLEGAL_TRANSITION: removal stops renewals.
 */
export async function renewBoundCopies(
  deps: ServiceDeps,
  scope: HolderScope,
  creditCode: string,
  deviceId: string,
  options: { withinDays?: number } = {},
): Promise<BoundCopyView[]> {
  assertCreditCode(creditCode);
  const withinMs = (options.withinDays ?? DEFAULT_RENEW_WITHIN_DAYS) * 86_400_000;
  const signer = await signerFor(deps, scope.authorityId);
  return lockedWrite(deps, scope.authorityId, async (draw, now) => {
    const db = deps.store.db;
    const device = await requireDevice(db, scope, creditCode, deviceId);
    if (device.status !== 'active')
      throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `device ${deviceId} was removed: its bound copies are no longer renewed`, { field: 'deviceId' });
    const jwk = JSON.parse(device.publicJwk) as DeviceJwk;
    const current = await currentLicencesOf(db, scope, creditCode, now);
    const held = await db
      .select()
      .from(boundCopies)
      .where(
        and(eq(boundCopies.authorityId, scope.authorityId), eq(boundCopies.holderCreditCode, creditCode), eq(boundCopies.deviceId, deviceId), eq(boundCopies.status, 'active')),
      );
    const byLicence = new Map(held.map((row) => [row.licenceId, row]));
    const missing = current.filter((licence) => !byLicence.has(licence.id));
    const slots = await draw(missing.length);
    const fresh = await Promise.all(missing.map((licence, i) => signBoundCopy(deps, signer, licence, { id: deviceId, jwk }, slots[i]!, now, uuidv7())));
    const renewed: BoundCopyRow[] = [];
    const kept: BoundCopyRow[] = [];
    for (const licence of current) {
      const row = byLicence.get(licence.id);
      if (!row) continue;
      const renewable = row.validUntil - now <= withinMs && (licence.validUntil === null || licence.validUntil > row.validUntil);
      if (renewable) renewed.push(await signBoundCopy(deps, signer, licence, { id: deviceId, jwk }, { listId: row.revocationListId, index: row.revocationIndex }, now, row.id));
      else kept.push(row);
    }
    const statements: Statement[] = [
      ...(fresh.length === 0 ? [] : [db.insert(boundCopies).values(fresh)]),
      ...renewed.map((row) =>
        db
          .update(boundCopies)
          .set({ validUntil: row.validUntil, issuedAt: row.issuedAt, updatedAt: now, kid: row.kid, jws: row.jws })
          .where(and(eq(boundCopies.id, row.id), eq(boundCopies.status, 'active'))),
      ),
    ];
    const changed = fresh.length + renewed.length > 0;
    return {
      statements,
      audit: changed
        ? [
            auditOf(scope, 'device.bound-copies-renewed', `${creditCode}/${deviceId}`, {
              holderCreditCode: creditCode,
              deviceId,
              issued: fresh.map(copyAudit),
              renewed: renewed.map(copyAudit),
            }),
          ]
        : [],
      result: [...kept, ...renewed, ...fresh].map((row) => boundCopyView(row, deps.config.publicUrl, now)),
    };
  });
}

/** The bound copies of a licence (every device, or one), newest first. */
export async function boundCopiesOfLicence(deps: ServiceDeps, scope: HolderScope, licenceId: string, deviceId?: string): Promise<BoundCopyView[]> {
  const db = deps.store.db;
  const licence = await requireScopedLicence(db, scope, licenceId);
  const rows = await db
    .select()
    .from(boundCopies)
    .where(and(eq(boundCopies.authorityId, scope.authorityId), eq(boundCopies.licenceId, licence.id), ...(deviceId === undefined ? [] : [eq(boundCopies.deviceId, deviceId)])))
    .orderBy(desc(boundCopies.id));
  const now = deps.clock.now();
  return rows.map((row) => withLicenceStatus(boundCopyView(row, deps.config.publicUrl, now), licence, now));
}

/**
 * After an amendment (`previous` superseded by `amended`): each device holding an active copy of the old
 * licence gets a copy of the new one (new slot), and the old copies are revoked (`superseded`; their
 * licence's own bit is set already). Runs after the amendment's commit, in a commit of its own.
 */
export async function reissueBoundCopiesAfterAmendment(deps: ServiceDeps, scope: HolderScope, previous: LicenceRow, amended: LicenceRow): Promise<BoundCopyView[]> {
  const signer = await signerFor(deps, scope.authorityId);
  return lockedWrite(deps, scope.authorityId, async (draw, now) => {
    const db = deps.store.db;
    const old = await db
      .select()
      .from(boundCopies)
      .where(and(eq(boundCopies.authorityId, scope.authorityId), eq(boundCopies.licenceId, previous.id), eq(boundCopies.status, 'active')));
    if (old.length === 0) return { statements: [], audit: [], result: [] };
    const devices = new Map(
      (await devicesOf(db, scope.authorityId, previous.holderCreditCode)).filter((d) => d.status === 'active').map((d) => [d.id, JSON.parse(d.publicJwk) as DeviceJwk]),
    );
    // The successor's holder is the same (an amendment keeps the credit code); a device of another holder is not carried over.
    const carried = amended.holderCreditCode === previous.holderCreditCode ? old.filter((row) => devices.has(row.deviceId)) : [];
    const slots = await draw(carried.length);
    const fresh = await Promise.all(carried.map((row, i) => signBoundCopy(deps, signer, amended, { id: row.deviceId, jwk: devices.get(row.deviceId)! }, slots[i]!, now, uuidv7())));
    const lists = [...new Set(old.map((c) => c.revocationListId))];
    return {
      statements: [
        db
          .update(boundCopies)
          .set({ status: 'revoked', statusReason: 'superseded', updatedAt: now })
          .where(
            inArray(
              boundCopies.id,
              old.map((c) => c.id),
            ),
          ),
        ...lists.map((listId) => bumpListVersion(db, listId)),
        ...(fresh.length === 0 ? [] : [db.insert(boundCopies).values(fresh)]),
      ],
      audit: [
        auditOf(scope, 'licence.bound-copies-reissued', amended.id, {
          supersedes: previous.id,
          revoked: old.map(copyAudit),
          issued: fresh.map((r) => ({ ...copyAudit(r), deviceId: r.deviceId })),
        }),
      ],
      result: fresh.map((row) => boundCopyView(row, deps.config.publicUrl, now)),
    };
  });
}
