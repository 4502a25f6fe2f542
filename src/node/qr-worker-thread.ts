/**
 * The QR worker thread started by qr-worker.ts: encodes the EL1 texts of the JWSs it is sent and posts
 * them back under the request's id. Built as its own entry (dist/node/qr-worker-thread.js); from source
 * it is loaded through tsx (tests, benches).
 */
import { parentPort } from 'node:worker_threads';
import { encodeLicenceQr } from '../core/qr/index.js';

export interface QrRequest {
  id: number;
  jws: string[];
}

export type QrReply = { id: number; texts?: string[]; error?: string } | { ready: true } | { failed: string };

const port = parentPort;
if (!port) throw new Error('qr-worker-thread runs only as a worker thread');
port.on('message', ({ id, jws }: QrRequest) => {
  try {
    port.postMessage({ id, texts: jws.map((j) => encodeLicenceQr(j)) } satisfies QrReply);
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies QrReply);
  }
});
port.postMessage({ ready: true } satisfies QrReply);
