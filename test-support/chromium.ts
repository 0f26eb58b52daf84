/** Debian's Chromium (never a downloaded browser); `OPENMYNA_CHROMIUM` points elsewhere. */
export const CHROMIUM_PATH = process.env['OPENMYNA_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Headless Chromium as this machine runs it: no sandbox (root), no GPU, and none of the background
 * networking that a closed network refuses (reference/pcsc-notes.md, the machine notes).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;
