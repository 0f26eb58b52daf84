import jsQR from 'jsqr';
import { useEffect, useRef } from 'react';

import { useMessages } from '../i18n.js';

/** The camera, read frame by frame for a QR code (jsQR). */
export function Scanner(props: { readonly onText: (text: string) => void; readonly onStop: () => void }) {
  const t = useMessages();
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    let stream: MediaStream | undefined;
    let frame = 0;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const tick = () => {
      const element = video.current;
      if (element && context && element.readyState >= 2) {
        canvas.width = element.videoWidth;
        canvas.height = element.videoHeight;
        context.drawImage(element, 0, 0);
        const found = jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
        if (found?.data) return props.onText(found.data);
      }
      frame = requestAnimationFrame(tick);
    };
    void navigator.mediaDevices
      ?.getUserMedia({ video: { facingMode: 'environment' } })
      .then((media) => {
        stream = media;
        if (video.current) {
          video.current.srcObject = media;
          void video.current.play();
        }
        frame = requestAnimationFrame(tick);
      })
      .catch(() => props.onStop());
    return () => {
      cancelAnimationFrame(frame);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [props]);
  return (
    <div className="scanner">
      <video ref={video} muted playsInline aria-label={t.cameraView} />
      <button className="secondary" onClick={props.onStop}>
        {t.stopScan}
      </button>
    </div>
  );
}
