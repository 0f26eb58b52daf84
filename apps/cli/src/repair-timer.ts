/** Every this many seconds each service instance repairs what dead instances left half done. */
export const REPAIR_INTERVAL_SECONDS = 60;

/** A task repeated in the background until {@link RepeatingTask.stop}. */
export interface RepeatingTask {
  /** Stops the repetition and waits for a run in progress, so the database can close after it. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalSeconds`, one run at a time; a failed run is reported and the next one
 * still comes. The timer does not keep the process alive.
 *
 * @example
 * const repair = repeatInBackground(60, () => repairUnfinishedWork(context), (error) => log(error));
 * await repair.stop();
 */
export function repeatInBackground(
  intervalSeconds: number,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void,
): RepeatingTask {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .finally(() => (running = undefined));
  }, intervalSeconds * 1000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * A number of seconds from the environment variable `name`: undefined when unset, an error naming the
 * variable (and `hint`) when it is not a whole number.
 */
export function secondsFromEnvironment(name: string, hint = ''): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,6}$/.test(value)) throw new Error(`${name} is a whole number of seconds${hint}`);
  return Number(value);
}
