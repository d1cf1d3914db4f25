// Named crash points. The fault tests start a worker with IMAGECYCLE_FAILPOINTS naming one
// or more points ("renamer:after-promote,reaper:after-deactivate"); when the worker reaches
// one, it writes a line to stderr and kills itself with SIGKILL - no cleanup, no finally
// block, exactly as a node failure would. Unset (production), a failpoint does nothing.

/** The crash points the stages declare, so a typo in a test fails to compile. */
export const FAILPOINTS = [
  'downloader:mid-download',
  'downloader:after-last-byte',
  'uploader:mid-upload',
  'renamer:after-promote',
  'reaper:after-deactivate',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

export function armedFailpoints(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const raw = env.IMAGECYCLE_FAILPOINTS ?? '';
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(FAILPOINTS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(
      `IMAGECYCLE_FAILPOINTS names unknown point(s) ${unknown.join(', ')}; known: ${FAILPOINTS.join(', ')}`,
    );
  return new Set(names);
}

let armed: Set<string> | undefined;

/** Crashes the process here when the point is armed; otherwise returns at once. */
export function failpoint(name: Failpoint): void {
  armed ??= armedFailpoints();
  if (!armed.has(name)) return;
  process.stderr.write(`failpoint ${name}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
