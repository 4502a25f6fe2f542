/**
 * EL1 QR texts encoded on a worker thread: DEFLATE with the EL1 dictionary costs about a third of an
 * issuing request, so the Node service (every licence response carries its QR text) and a --local
 * import hand it to the other core. The worker loads the TypeScript codec through tsx's loader (the
 * project runs from source); if the worker cannot start, the texts are encoded here instead, same result.
 */
import { Worker } from 'node:worker_threads';
import type { QrEncoder } from '../app/deps.js';
import { encodeLicenceQr } from '../core/qr/index.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { encodeLicenceQr } = await import(workerData.codecUrl);
  parentPort.on('message', ({ id, jws }) => {
    try {
      parentPort.postMessage({ id, texts: jws.map((j) => encodeLicenceQr(j)) });
    } catch (error) {
      parentPort.postMessage({ id, error: String(error && error.message || error) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ failed: String(error && error.message || error) }));
`;

export type { QrEncoder };

export const inlineQrEncoder: QrEncoder = {
  encode: async (jws) => jws.map((j) => encodeLicenceQr(j)),
  close: async () => {},
};

type Reply = { id: number; texts?: string[]; error?: string } | { ready: true } | { failed: string };

export async function startQrEncoder(): Promise<QrEncoder> {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { codecUrl: new URL('../core/qr/index.ts', import.meta.url).href } });
  } catch {
    return inlineQrEncoder;
  }
  const pending = new Map<number, { resolve(texts: string[]): void; reject(error: Error): void; retry(): void }>();
  let nextId = 0;
  const ready = await new Promise<boolean>((resolve) => {
    worker.once('error', () => resolve(false));
    worker.once('message', (reply: Reply) => resolve('ready' in reply));
  });
  if (!ready) {
    await worker.terminate();
    return inlineQrEncoder;
  }
  worker.unref();
  worker.on('message', (reply: Reply) => {
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
