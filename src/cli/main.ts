/**
 * `npm run elicence -- <command> ...`: the command-line entry. Each command lives in src/cli/
 * and exports `run(args: string[]): Promise<number>` (the process exit code). The imports are
 * literal so the build (scripts/build-node.ts) finds each command and splits it into its own chunk,
 * still loaded only when that command runs.
 */
interface CommandModule {
  run(args: string[], command: string): Promise<number>;
}

const COMMANDS: Record<string, { load(): Promise<CommandModule>; summary: string }> = {
  audit: { load: () => import('./audit.js'), summary: 'audit verify            check the hash-chained audit log' },
  verify: { load: () => import('./verify.js'), summary: 'verify <qr|jws|image>   verify a licence offline against a bundle' },
  sync: { load: () => import('./verify.js'), summary: 'sync <url>              fetch and check a verifier bundle' },
  trust: { load: () => import('./trust.js'), summary: 'trust ...               trust-anchor register and trust lists' },
  import: { load: () => import('./import.js'), summary: 'import <file>           issue licences from a CSV/XLSX/JSONL register' },
  keygen: { load: () => import('./keygen.js'), summary: 'keygen <owner> [alg]    print a new private key for the SIGNING_KEYS Worker secret' },
  token: { load: () => import('./token.js'), summary: 'token create            a new agency token in the local database (a lost first token)' },
};

function usage(): string {
  return ['usage: npm run elicence -- <command> [options]', '', ...Object.values(COMMANDS).map((c) => `  ${c.summary}`)].join('\n');
}

const [command, ...args] = process.argv.slice(2);
if (!command || command === '--help' || command === '-h' || !(command in COMMANDS)) {
  console.error(usage());
  process.exit(command && command !== '--help' && command !== '-h' ? 64 : 0);
}
const entry = COMMANDS[command]!;
const commandModule = await entry.load();
process.exitCode = await commandModule.run(args, command);

export {};
