/** Moved to src/core/dates.ts (parseDateTimeField); kept only for a module being rewritten. */
export { parseDateTimeField as parseDateTime } from '../core/dates.js'; // re-export for modules being rewritten; removed at merge
