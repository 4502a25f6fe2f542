/** The licence type register: built-in types seeded at start-up, agency types added by admins. */
import { eq } from 'drizzle-orm';
import { ElicenceError } from '../core/errors.js';
import { assertValidTypeDefinition, BUILT_IN_LICENCE_TYPES, type JsonObjectSchema, type LicenceTypeDefinition, SubjectValidator } from '../core/licence-types.js';
import { licenceTypes } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import { auditStatements, readAuditHead } from './audit.js';
import { findAuthority } from './authorities.js';
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
  builtIn: row.builtIn,
  registeredBy: row.registeredBy,
  createdAt: row.createdAt,
});

/** Per-app cache of compiled validators; a type never changes once registered, so no invalidation. */
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
}

function insertType(db: Db, definition: LicenceTypeDefinition, builtIn: boolean, registeredBy: string | null, now: number): Statement {
  return db.insert(licenceTypes).values({
    code: definition.code,
    nameZh: definition.name.zh,
    nameEn: definition.name.en,
    schemaVersion: definition.schemaVersion,
    schemaJson: JSON.stringify(definition.schema),
    uniquePerHolder: definition.uniquePerHolder ?? false,
    builtIn,
    registeredBy,
    createdAt: now,
  });
}

/** Statements that add any built-in type the database does not have yet. */
export async function seedBuiltInTypes(db: Db, now: number): Promise<Statement[]> {
  const existing = new Set((await db.select({ code: licenceTypes.code }).from(licenceTypes)).map((r) => r.code));
  return BUILT_IN_LICENCE_TYPES.filter((t) => !existing.has(t.code)).map((t) => insertType(db, t, true, null, now));
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
