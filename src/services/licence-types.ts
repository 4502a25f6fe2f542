/**
 * The licence type register: built-in types seeded at start-up, agency types added by admins. A type's
 * catalogue code (the first segment of its licence identifiers) may be set later by an operator, and a
 * type registered before types declared their number and holder-name fields may declare them then.
 */
import { and, eq, isNull, ne, or } from 'drizzle-orm';
import { ElicenceError } from '../core/errors.js';
import {
  assertCatalogueCode,
  assertDeclaredField,
  assertValidTypeDefinition,
  BUILT_IN_LICENCE_TYPES,
  type JsonObjectSchema,
  type LicenceTypeDefinition,
  SubjectValidator,
} from '../core/licence-types.js';
import { licenceTypes } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import { auditStatements, readAuditHead } from './audit.js';
import { findAuthority } from './authorities.js';
import { invalidate } from './hot-cache.js';
import type { ServiceDeps } from './ports.js';
import { findAnchor } from './trust/anchor.js';
import { findRegistered } from './trust/register.js';

export interface StoredLicenceType extends LicenceTypeDefinition {
  builtIn: boolean;
  registeredBy: string | null;
  createdAt: number;
}

type Row = typeof licenceTypes.$inferSelect;

const fromRow = (row: Row): StoredLicenceType => ({
  code: row.code,
  name: { zh: row.nameZh, en: row.nameEn },
  schemaVersion: row.schemaVersion,
  schema: JSON.parse(row.schemaJson) as JsonObjectSchema,
  uniquePerHolder: row.uniquePerHolder,
  ...(row.catalogueCode === null ? {} : { catalogueCode: row.catalogueCode }),
  ...(row.numberField === null ? {} : { numberField: row.numberField }),
  ...(row.holderNameField === null ? {} : { holderNameField: row.holderNameField }),
  builtIn: row.builtIn,
  registeredBy: row.registeredBy,
  createdAt: row.createdAt,
});

/**
 * Per-app cache of compiled validators; a type's schema never changes once registered. Its declarations
 * may (set where missing, or a new catalogue code): `declare` drops the entry; the catalogue code used
 * to issue is read apart, through the short-lived hot cache (licence-identifiers.ts).
 */
export class LicenceTypeRegistry {
  readonly #validators = new Map<string, SubjectValidator>();
  constructor(private readonly deps: ServiceDeps) {}

  async list(): Promise<StoredLicenceType[]> {
    return (await this.deps.store.db.select().from(licenceTypes).orderBy(licenceTypes.createdAt, licenceTypes.code)).map(fromRow);
  }

  async find(code: string): Promise<StoredLicenceType | undefined> {
    const [row] = await this.deps.store.db.select().from(licenceTypes).where(eq(licenceTypes.code, code));
    return row && fromRow(row);
  }

  /** The validator for a type; ERR_UNKNOWN_LICENCE_TYPE if it does not exist. */
  async validator(code: string, field = 'type'): Promise<SubjectValidator> {
    const cached = this.#validators.get(code);
    if (cached) return cached;
    const type = await this.find(code);
    if (!type) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `unknown licence type "${code}"`, { field });
    const validator = new SubjectValidator(type);
    this.#validators.set(code, validator);
    return validator;
  }

  /** `staffId`: the staff account behind a console action, named in the audit entry. */
  async register(definition: LicenceTypeDefinition, authorityId: string, actor: string, staffId?: string): Promise<StoredLicenceType> {
    assertValidTypeDefinition(definition);
    const { store, clock } = this.deps;
    return store.exclusive(async () => {
      if (await this.find(definition.code)) {
        throw new ElicenceError('ERR_LICENCE_TYPE_EXISTS', `licence type ${definition.code} already exists`, { field: 'code' });
      }
      await refuseTakenCatalogueCode(store.db, definition.catalogueCode!, definition.code);
      const now = clock.now();
      const audit = auditStatements(
        store.db,
        await readAuditHead(store.db),
        [{ action: 'licenceType.registered', actor, staffId, authorityId, subjectId: definition.code, content: { ...definition } }],
        now,
      );
      await store.commit([insertType(store.db, definition, false, authorityId, now), ...audit.statements]);
      return { ...definition, uniquePerHolder: definition.uniquePerHolder ?? false, builtIn: false, registeredBy: authorityId, createdAt: now };
    });
  }

  /**
   * Sets a type's catalogue code (an operator setting the national code) and, on a type registered
   * before types declared them, its number and holder-name fields. Those two are set once: licences
   * already issued were recorded by them. Who may: `authorityId` must have registered the type, or,
   * for a built-in type, the caller must be the deployment's operator (`operator`, checked by the route).
   */
  async declare(code: string, changes: TypeDeclarations, caller: { authorityId: string; operator: boolean; actor: string }): Promise<StoredLicenceType> {
    const { store, clock } = this.deps;
    const stored = await this.find(code);
    if (!stored) throw new ElicenceError('ERR_NOT_FOUND', `no licence type ${code}`, { field: 'code' });
    if (stored.builtIn ? !caller.operator : stored.registeredBy !== caller.authorityId) {
      throw new ElicenceError(
        'ERR_FORBIDDEN',
        stored.builtIn
          ? `${code} is built in: only the deployment's operator (a token with the admin and anchor scopes) sets its declarations`
          : `${code} was registered by another authority`,
        { field: 'code' },
      );
    }
    if (changes.catalogueCode !== undefined) assertCatalogueCode(changes.catalogueCode, 'catalogueCode');
    for (const field of ['numberField', 'holderNameField'] as const) {
      const value = changes[field];
      if (value === undefined) continue;
      assertDeclaredField(stored.schema, value, field);
      if (stored[field] !== undefined && stored[field] !== value) {
        throw new ElicenceError('ERR_CONFLICT', `${code} already declares ${field} "${stored[field]}": licences issued were recorded by it`, { field });
      }
    }
    return store.exclusive(async () => {
      if (changes.catalogueCode !== undefined) await refuseTakenCatalogueCode(store.db, changes.catalogueCode, code);
      const set = {
        ...(changes.catalogueCode === undefined ? {} : { catalogueCode: changes.catalogueCode }),
        ...(changes.numberField === undefined ? {} : { numberField: changes.numberField }),
        ...(changes.holderNameField === undefined ? {} : { holderNameField: changes.holderNameField }),
      };
      if (Object.keys(set).length === 0) return stored;
      const now = clock.now();
      const audit = auditStatements(
        store.db,
        await readAuditHead(store.db),
        [
          {
            action: 'licenceType.declared',
            actor: caller.actor,
            authorityId: caller.authorityId,
            subjectId: code,
            content: { ...set, ...(stored.catalogueCode ? { previousCatalogueCode: stored.catalogueCode } : {}) },
          },
        ],
        now,
      );
      await store.commit([store.db.update(licenceTypes).set(set).where(eq(licenceTypes.code, code)), ...audit.statements]);
      this.#validators.delete(code);
      invalidate(store.db, `catalogue-code:${code}`);
      return { ...stored, ...set };
    });
  }
}

/** What PATCH /v1/licence-types/{code} may set. */
export interface TypeDeclarations {
  catalogueCode?: string;
  numberField?: string;
  holderNameField?: string;
}

/** ERR_CONFLICT when another type has this catalogue code: identifiers of two types must not share their first segment. */
async function refuseTakenCatalogueCode(db: Db, catalogueCode: string, code: string): Promise<void> {
  const [other] = await db
    .select({ code: licenceTypes.code })
    .from(licenceTypes)
    .where(and(eq(licenceTypes.catalogueCode, catalogueCode), ne(licenceTypes.code, code)));
  if (other) throw new ElicenceError('ERR_CONFLICT', `catalogue code ${catalogueCode} is already licence type ${other.code}'s`, { field: 'catalogueCode' });
}

function insertType(db: Db, definition: LicenceTypeDefinition, builtIn: boolean, registeredBy: string | null, now: number): Statement {
  return db.insert(licenceTypes).values({
    code: definition.code,
    nameZh: definition.name.zh,
    nameEn: definition.name.en,
    schemaVersion: definition.schemaVersion,
    schemaJson: JSON.stringify(definition.schema),
    uniquePerHolder: definition.uniquePerHolder ?? false,
    catalogueCode: definition.catalogueCode ?? null,
    numberField: definition.numberField ?? null,
    holderNameField: definition.holderNameField ?? null,
    builtIn,
    registeredBy,
    createdAt: now,
  });
}

/**
 * Statements that add any built-in type the database does not have yet, and give built-in types
 * stored before types declared them their number and holder-name fields and default catalogue code
 * (a catalogue code an operator set is kept).
 */
export async function seedBuiltInTypes(db: Db, now: number): Promise<Statement[]> {
  const rows = await db.select().from(licenceTypes);
  const existing = new Map(rows.map((r) => [r.code, r]));
  const statements: Statement[] = [];
  for (const type of BUILT_IN_LICENCE_TYPES) {
    const row = existing.get(type.code);
    if (!row) statements.push(insertType(db, type, true, null, now));
    else if (row.builtIn && (row.catalogueCode === null || row.numberField === null || row.holderNameField === null)) {
      statements.push(
        db
          .update(licenceTypes)
          .set({
            catalogueCode: row.catalogueCode ?? type.catalogueCode!,
            numberField: row.numberField ?? type.numberField!,
            holderNameField: row.holderNameField ?? type.holderNameField!,
          })
          .where(and(eq(licenceTypes.code, type.code), or(isNull(licenceTypes.catalogueCode), isNull(licenceTypes.numberField), isNull(licenceTypes.holderNameField)))),
      );
    }
  }
  return statements;
}

export interface RegistrationWarning {
  code: 'WARN_TYPE_NOT_IN_TRUST_REGISTER';
  message: string;
}

/**
 * After registering `code` for an authority: warns when the trust register does not (or, on a
 * deployment that is not an anchor, cannot be seen to) authorise the authority to issue it, naming the
 * step that fixes it, so inspectors do not first meet it as UNTRUSTED_ISSUER.
 */
export async function trustRegisterWarnings(deps: ServiceDeps, authorityId: string, code: string): Promise<RegistrationWarning[]> {
  const authority = await findAuthority(deps.store.db, authorityId);
  if (!authority) return [];
  const did = authority.did;
  const patch = `PATCH /v1/trust/authorities/${encodeURIComponent(did)} with "licenceTypes" including "${code}" (a token with the anchor scope)`;
  const consequence = `until then inspectors answer UNTRUSTED_ISSUER (ERR_TYPE_NOT_AUTHORISED) for ${code} licences of ${did}`;
  if (!(await findAnchor(deps))) {
    return [
      {
        code: 'WARN_TYPE_NOT_IN_TRUST_REGISTER',
        message: `this deployment is not a trust anchor, so it cannot see whether the anchor that lists ${did} authorises ${code}: ask that anchor's operator to add it (${patch} on the anchor); ${consequence}`,
      },
    ];
  }
  const entry = await findRegistered(deps.store.db, did);
  if (!entry) {
    return [
      {
        code: 'WARN_TYPE_NOT_IN_TRUST_REGISTER',
        message: `${did} is not in this anchor's trust register: add it with ${code} among its types (POST /v1/trust/authorities, or npm run elicence -- trust add-authority --id ${did} ... --types ${code}); ${consequence}`,
      },
    ];
  }
  if (entry.licenceTypes.includes(code)) return [];
  return [
    {
      code: 'WARN_TYPE_NOT_IN_TRUST_REGISTER',
      message: `the trust register does not authorise ${did} to issue ${code}: ${patch}; the next trust list carries it; ${consequence}`,
    },
  ];
}
