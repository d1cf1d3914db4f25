// Polls until a probe yields a value (anything but undefined or false), or fails naming what
// it waited for - with whatever `context` adds (the stderr of the processes under test).
export interface UntilOptions {
  what: string;
  ms?: number;
  intervalMs?: number;
  /** Appended to the timeout's message. */
  context?: () => string;
}

export async function until<T>(
  probe: () => Promise<T | undefined | false>,
  options: UntilOptions,
): Promise<T> {
  const deadline = Date.now() + (options.ms ?? 30_000);
  for (;;) {
    // a probe that throws (a server not listening yet) counts as "not yet"
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const context = options.context?.();
      throw new Error(`timed out waiting for ${options.what}${context ? `:\n${context}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
