// Named fault points. The fault tests start a worker with IMAGECYCLE_FAILPOINTS naming one
// or more points ("renamer:after-promote,reaper:after-deactivate=error"). A point armed bare
// (or `=kill`) makes the worker write a line to stderr and kill itself with SIGKILL when it
// gets there - no cleanup, no finally block, exactly as a node failure would. A point armed
// `=error` throws a FailpointError there instead, every time: the job's attempt fails as it
// would on an error that outlasts its retries (Glance answering 409, Nova down, ...) while
// the worker lives on. Unset (production), a failpoint does nothing.

/** The points the stages declare, so a typo in a test fails to compile. */
export const FAILPOINTS = [
  'downloader:mid-download',
  'downloader:after-last-byte',
  'uploader:mid-upload',
  'renamer:after-promote',
  'reaper:after-deactivate',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

export const FAILPOINT_MODES = ['kill', 'error'] as const;
export type FailpointMode = (typeof FAILPOINT_MODES)[number];

/**
 * The points a throw fails the job's attempt at: the stage awaits there in line. The others sit
 * in a progress callback of a transfer, where a throw would escape the job (a crash, which
 * `kill` already is).
 */
export const ERROR_FAILPOINTS: readonly Failpoint[] = [
  'downloader:after-last-byte',
  'renamer:after-promote',
  'reaper:after-deactivate',
];

/** What an armed point in mode `error` throws. */
export class FailpointError extends Error {
  readonly point: Failpoint;
  constructor(point: Failpoint) {
    super(`failpoint ${point}: an injected error`);
    this.name = 'FailpointError';
    this.point = point;
  }
}

/** The armed points and their modes; refuses a point, a mode or a pairing no stage declares. */
export function armedFailpoints(
  env: NodeJS.ProcessEnv = process.env,
): Map<Failpoint, FailpointMode> {
  const raw = env.IMAGECYCLE_FAILPOINTS ?? '';
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const armed = new Map<Failpoint, FailpointMode>();
  const unknown: string[] = [];
  for (const entry of entries) {
    const [name = '', mode = 'kill', ...rest] = entry.split('=').map((part) => part.trim());
    if (!(FAILPOINTS as readonly string[]).includes(name)) {
      unknown.push(name);
      continue;
    }
    const point = name as Failpoint;
    if (rest.length > 0 || !(FAILPOINT_MODES as readonly string[]).includes(mode))
      throw new Error(
        `IMAGECYCLE_FAILPOINTS entry "${entry}" names unknown mode "${entry.slice(entry.indexOf('=') + 1).trim()}"; known: ${FAILPOINT_MODES.join(', ')}`,
      );
    if (mode === 'error' && !ERROR_FAILPOINTS.includes(point))
      throw new Error(
        `IMAGECYCLE_FAILPOINTS entry "${entry}": ${point} sits in a transfer's progress callback, where an error would escape the job; only kill there (error at: ${ERROR_FAILPOINTS.join(', ')})`,
      );
    const earlier = armed.get(point);
    if (earlier !== undefined && earlier !== mode)
      throw new Error(`IMAGECYCLE_FAILPOINTS arms ${point} twice, as ${earlier} and as ${mode}`);
    armed.set(point, mode as FailpointMode);
  }
  if (unknown.length > 0)
    throw new Error(
      `IMAGECYCLE_FAILPOINTS names unknown point(s) ${unknown.join(', ')}; known: ${FAILPOINTS.join(', ')}`,
    );
  return armed;
}

let armed: Map<Failpoint, FailpointMode> | undefined;

/**
 * Here, when the point is armed: the process dies (kill) or this call throws a FailpointError
 * (error). Otherwise it returns at once.
 */
export function failpoint(name: Failpoint): void {
  armed ??= armedFailpoints();
  const mode = armed.get(name);
  if (mode === undefined) return;
  if (mode === 'error') {
    process.stderr.write(`failpoint ${name}: error\n`);
    throw new FailpointError(name);
  }
  process.stderr.write(`failpoint ${name}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
