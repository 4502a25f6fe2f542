/** The cell rules live in the runtime-neutral importer core (the console's import page uses them too). */
export * from '../import-core/cell-values.js';
