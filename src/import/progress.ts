/**
 * Progress while issuing: a bar with rate and time left on a terminal (cli-progress), plain lines
 * otherwise (logs, CI, a parent process): one at most every second or at each further 10%, and a
 * last line at the end.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
  /**
   * Prints one line that nothing overwrites (Ctrl-C's message): a bar is stopped first, on its own
   * line, and not redrawn afterwards.
   */
  interrupt(line: string): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function createProgress(stream: ProgressStream, options: { label?: string; now?: () => number } = {}): ProgressReporter {
  return stream.isTTY ? barProgress(stream, options.label ?? 'issuing') : lineProgress(stream, options.label ?? 'issuing', options.now ?? (() => performance.now()));
}

export const silentProgress: ProgressReporter = { start() {}, update() {}, stop() {}, interrupt() {} };

function barProgress(stream: ProgressStream, label: string): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `${label} {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | {eta_formatted} left`,
      etaBuffer: 20,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  let running = false;
  return {
    start(total) {
      started = performance.now();
      running = true;
      bar.start(total, 0, { rate: '-' });
    },
    update(done) {
      if (!running) return;
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : '-' });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
    interrupt(line) {
      // The bar's redraw timer would write over the message: stop it (it ends its own line) first.
      this.stop();
      stream.write(`${line}\n`);
    },
  };
}

function lineProgress(stream: ProgressStream, label: string, now: () => number): ProgressReporter {
  let total = 0;
  let started = 0;
  let lastAt = 0;
  let lastTenth = 0;
  let done = 0;
  const line = () => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    stream.write(`${label}: ${done}/${total} rows (${percent}%), ${Math.round(rate)} rows/s, ${left === undefined ? '?' : `${left}s`} left\n`);
  };
  return {
    start(n) {
      total = n;
      started = lastAt = now();
    },
    update(n) {
      done = n;
      const tenth = total > 0 ? Math.floor((n / total) * 10) : 10;
      if (now() - lastAt >= 1000 || tenth > lastTenth) {
        lastAt = now();
        lastTenth = tenth;
        line();
      }
    },
    stop() {
      if (lastTenth < 10) line();
    },
    interrupt(text) {
      stream.write(`${text}\n`);
    },
  };
}
