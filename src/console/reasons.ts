/**
 * The legal reasons a clerk picks from, with their names in both languages. The codes are the API's own
 * lists (src/services/lifecycle.ts, src/core/status-reasons.ts): revocation `penalty` 吊销, `rescinded` 撤销,
 * `deregistered` 注销, `other` (`superseded` 已换发 is set by an amendment only); a suspension's grounds
 * (people and verifiers are shown 暂停); a reinstatement's. Older codes still stored on licences
 * (`fraud`, `cancelled` -> rescinded, `holder_request` -> deregistered) are named too.
 */
import { REVOCATION_REASONS } from '../core/status-reasons.js';
import { REINSTATEMENT_REASONS, SUSPENSION_REASONS } from '../services/lifecycle.js';

export const REVOKE_REASONS = REVOCATION_REASONS.filter((r) => r !== 'superseded');
export const SUSPEND_REASONS = SUSPENSION_REASONS;
export const REINSTATE_REASONS = REINSTATEMENT_REASONS;

export type ChangeAction = 'suspend' | 'reinstate' | 'revoke';

export const REASONS_FOR: Record<ChangeAction, readonly string[]> = {
  suspend: SUSPEND_REASONS,
  reinstate: REINSTATE_REASONS,
  revoke: REVOKE_REASONS,
};

export const REASON_NAMES: Record<string, { zh: string; en: string }> = {
  penalty: { zh: '吊销', en: 'Revoked as a penalty' },
  rescinded: { zh: '撤销', en: 'Rescinded' },
  deregistered: { zh: '注销', en: 'Deregistered' },
  superseded: { zh: '已换发', en: 'Superseded by an amended licence' },
  suspended: { zh: '暂停', en: 'Suspended' },
  investigation_closed: { zh: '调查结束', en: 'Investigation closed' },
  remedied: { zh: '已整改', en: 'Remedied' },
  suspended_in_error: { zh: '暂停有误', en: 'Suspended in error' },
  other: { zh: '其他', en: 'Other' },
  // Codes of the earlier API, still on licences changed before the legal-status codes.
  fraud: { zh: '撤销（以欺骗等不正当手段取得）', en: 'Rescinded (obtained by fraud)' },
  cancelled: { zh: '撤销', en: 'Rescinded' },
  holder_request: { zh: '持证者申请', en: 'At the holder’s request' },
  investigation: { zh: '立案调查', en: 'Under investigation' },
  non_compliance: { zh: '不符合许可条件', en: 'Non-compliance' },
};

export const reasonName = (code: string | null | undefined, lang: 'zh' | 'en'): string => (code ? (REASON_NAMES[code]?.[lang] ?? code) : '');
