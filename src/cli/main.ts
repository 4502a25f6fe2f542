/**
 * `npm run elicence -- <command> ...`: the command-line entry. Each command lives in src/cli/
 * and exports `run(args: string[]): Promise<number>` (the process exit code).
 */
const COMMANDS: Record<string, { module: string; summary: string }> = {
  audit: { module: './audit.js', summary: 'audit verify            check the hash-chained audit log' },
  verify: { module: './verify.js', summary: 'verify <qr|jws|image>   verify a licence offline against a bundle' },
  sync: { module: './verify.js', summary: 'sync <url>              fetch and check a verifier bundle' },
  trust: { module: './trust.js', summary: 'trust ...               trust-anchor register and trust lists' },
  import: { module: './import.js', summary: 'import <file>           issue licences from a CSV/XLSX/JSONL register' },
  keygen: { module: './keygen.js', summary: 'keygen <owner> [alg]    print a new private key for the SIGNING_KEYS Worker secret' },
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
const commandModule = (await import(entry.module)) as { run(args: string[], command: string): Promise<number> };
process.exitCode = await commandModule.run(args, command);

export {};
