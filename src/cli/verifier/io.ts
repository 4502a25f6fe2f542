/**
 * What the verifier CLI touches of the outside world, passed in so tests can run the commands
 * in-process: output streams, environment, network, stdin, working directory and clock.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof globalThis.fetch;
  /** All of stdin, at most `maxBytes` (more is an error). */
  readStdin(maxBytes: number): Promise<Uint8Array>;
  cwd: string;
  /** Colour the verdict banner (a terminal, and NO_COLOR not set). */
  colour: boolean;
  /** Current time, epoch ms. */
  now(): number;
}

async function readAll(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    total += buffer.length;
    if (total > maxBytes) throw new RangeError(`stdin is larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The real process. */
export function nodeIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    fetch: globalThis.fetch.bind(globalThis),
    readStdin: (maxBytes) => readAll(process.stdin, maxBytes),
    cwd: process.cwd(),
    colour: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'],
    now: () => Date.now(),
  };
}
