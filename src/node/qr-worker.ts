/**
 * EL1 QR texts encoded on a worker thread: DEFLATE with the EL1 dictionary costs about a third of an
 * issuing request, so the Node service (every licence response carries its QR text) and a --local
 * import hand it to the other core. The thread is qr-worker-thread.ts: built, it is the file
 * dist/node/qr-worker-thread.js beside this module's bundle; run from source (tests, benches), it is
 * loaded through tsx's loader. If the worker cannot start, the texts are encoded here instead, same
 * result (with a warning: a built service should never need it).
 */
import { Worker } from 'node:worker_threads';
import type { QrEncoder } from '../app/deps.js';
import { encodeLicenceQr } from '../core/qr/index.js';
import type { QrReply } from './qr-worker-thread.js';

/** True when this module runs from the esbuild output (scripts/build-node.ts), not from TypeScript source. */
const BUILT = !import.meta.url.endsWith('.ts');

/** From source only: the worker registers tsx, then imports the TypeScript thread module. */
const TSX_BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
import('tsx/esm/api')
  .then(({ register }) => {
    register();
    return import(workerData.url);
  })
  .catch((error) => parentPort.postMessage({ failed: String(error && error.message || error) }));
`;

function spawnWorker(): Worker {
  if (BUILT) return new Worker(new URL('./qr-worker-thread.js', import.meta.url));
  return new Worker(TSX_BOOTSTRAP, { eval: true, workerData: { url: new URL('./qr-worker-thread.ts', import.meta.url).href } });
}

export type { QrEncoder };

export const inlineQrEncoder: QrEncoder = {
  encode: async (jws) => jws.map((j) => encodeLicenceQr(j)),
  close: async () => {},
};

function fallBackInline(reason: unknown): QrEncoder {
  const message = reason instanceof Error ? reason.message : String(reason);
  console.warn(`QR worker thread did not start (${message}); encoding QR texts on the main thread`);
  return inlineQrEncoder;
}

export async function startQrEncoder(): Promise<QrEncoder> {
  let worker: Worker;
  try {
    worker = spawnWorker();
  } catch (error) {
    return fallBackInline(error);
  }
  const pending = new Map<number, { resolve(texts: string[]): void; reject(error: Error): void; retry(): void }>();
  let nextId = 0;
  const failure = await new Promise<unknown>((resolve) => {
    worker.once('error', resolve);
    worker.once('message', (reply: QrReply) => resolve('ready' in reply ? null : 'failed' in reply ? reply.failed : 'no ready message'));
  });
  if (failure !== null) {
    await worker.terminate();
    return fallBackInline(failure);
  }
  worker.unref();
  worker.on('message', (reply: QrReply) => {
    if (!('id' in reply)) return;
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.texts) waiter?.resolve(reply.texts);
    else waiter?.reject(new Error(`QR encoding failed: ${reply.error}`));
  });
  // A worker that dies hands its work back to this thread: nothing waits forever on a dead thread.
  let alive = true;
  const fallBack = () => {
    alive = false;
    for (const [id, waiter] of pending) {
      pending.delete(id);
      waiter.retry();
    }
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  return {
    encode(jws) {
      if (!alive) return inlineQrEncoder.encode(jws);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, retry: () => inlineQrEncoder.encode(jws).then(resolve, reject) });
        worker.postMessage({ id, jws });
      });
    },
    async close() {
      alive = false;
      await worker.terminate();
    },
  };
}
