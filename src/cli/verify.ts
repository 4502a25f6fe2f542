/**
 * `npm run elicence -- verify ...` and `npm run elicence -- sync ...`: the offline verifier's command
 * line (docs/verifier.md §Command line). `run` takes an injectable io so tests drive it in-process;
 * typed errors become a message on stderr and the documented exit code.
 */
import { ElicenceError } from '../core/errors.js';
import { parseSyncArgs, parseVerifyArgs, SYNC_USAGE, UsageError, VERIFY_USAGE } from './verifier/args.js';
import { EXIT, exitCodeOf } from './verifier/exit-codes.js';
import { type CliIo, nodeIo } from './verifier/io.js';
import { runSync } from './verifier/sync-command.js';
import { runVerify } from './verifier/verify-command.js';

export { EXIT, VERDICT_EXIT_CODES } from './verifier/exit-codes.js';
export type { CliIo } from './verifier/io.js';

export async function run(args: string[], command: string, io: CliIo = nodeIo()): Promise<number> {
  const usage = command === 'sync' ? SYNC_USAGE : VERIFY_USAGE;
  try {
    if (command === 'sync') {
      const parsed = parseSyncArgs(args);
      if (parsed === 'help') {
        io.stdout(`${usage}\n`);
        return EXIT.ok;
      }
      return await runSync(parsed, io);
    }
    if (command !== 'verify') throw new UsageError(`unknown command ${command}`);
    const parsed = parseVerifyArgs(args);
    if (parsed === 'help') {
      io.stdout(`${usage}\n`);
      return EXIT.ok;
    }
    return await runVerify(parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n\n${usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof ElicenceError) {
      io.stderr(`error: ${error.code}: ${error.message}\n`);
      return exitCodeOf(error);
    }
    io.stderr(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  }
}
