/**
 * A slow test's timeout, derived from the work it does: each step's time on an idle 2-core machine,
 * times a margin for a machine whose cores are busy with other work (Vitest runs two files at once, and
 * CI machines are shared). A test should time out on a hang, never because the machine is busy.
 * `OPENMYNA_TEST_TIME_MARGIN` raises the margin (default 6) on a slower machine.
 *
 * @example
 * ```ts
 * it('creates a sandbox twice', async () => { … }, timeoutFor({ 'sandbox up, creating': [2, 8_000] }));
 * ```
 */
export function timeoutFor(steps: Readonly<Record<string, readonly [times: number, idleMs: number]>>): number {
  const margin = Number(process.env['OPENMYNA_TEST_TIME_MARGIN'] ?? 6);
  let idle = 0;
  for (const [times, idleMs] of Object.values(steps)) idle += times * idleMs;
  // Never below Vitest's default for this suite, so a short estimate cannot make a test stricter.
  return Math.max(30_000, Math.ceil(idle * margin));
}
