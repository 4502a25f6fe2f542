/**
 * Live scanning: the rear camera into a <video>, a frame read about every 150 ms until a QR code is
 * found. The stream is stopped as soon as something is read or the user stops.
 */
import { readQr } from './qr-decode.js';

export interface CameraScan {
  stop(): void;
}

const FRAME_INTERVAL_MS = 150;

export async function startCameraScan(video: HTMLVideoElement, onText: (text: string) => void): Promise<CameraScan> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  const canvas = document.createElement('canvas');
  let stopped = false;
  let timer: number | undefined;
  const stop = () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const tick = async () => {
    if (stopped) return;
    if (video.readyState >= 2 && video.videoWidth > 0) {
      const text = await readQr(video, video.videoWidth, video.videoHeight, canvas).catch(() => undefined);
      if (text && !stopped) {
        stop();
        onText(text);
        return;
      }
    }
    timer = window.setTimeout(() => void tick(), FRAME_INTERVAL_MS);
  };
  void tick();
  return { stop };
}
