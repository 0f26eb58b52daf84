/**
 * A command line that runs `command` with the clock at `time` (libfaketime, Debian's faketime), for
 * peers that check against the real clock whatever they are told — so a test on an injected clock
 * gives them that clock too, and never mixes it with the machine's.
 *
 * @example
 * ```ts
 * spawn(...atTime(NOW, 'openssl', ['ocsp', '-url', url]));
 * ```
 */
export function atTime(
  time: Date,
  command: string,
  args: readonly string[],
): [file: string, args: string[], options: { env: NodeJS.ProcessEnv }] {
  // '@' starts the clock at `time` and lets it run; in UTC, so the date reads the same everywhere.
  const start = `@${time.toISOString().slice(0, 19).replace('T', ' ')}`;
  return ['faketime', ['-f', start, command, ...args], { env: { ...process.env, TZ: 'UTC' } }];
}
