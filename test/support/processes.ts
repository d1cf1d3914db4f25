// imagecycle processes as operators run them, for tests that stop, kill and restart them.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Mirror } from '../mirror/index.ts';
import { cloudNames } from './clouds.ts';
import { mirrorCatalogueVars } from './mirror-catalogue.ts';
import { until } from './until.ts';

export const IMAGECYCLE_MAIN = join(
  import.meta.dirname,
  '..',
  '..',
  'services',
  'cli',
  'src',
  'main.ts',
);

/** The environment of an imagecycle process under test: the service's cloud, the catalogue
 * pointed at the mirror, quiet logs; `extra` adds the test's own settings. */
export function imagecycleEnv(mirror: Mirror, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    OS_CLOUD: cloudNames.service,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly label: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  readonly exited: Promise<Exit>;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<Exit>;
}

export function startImagecycle(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  label = args.join(' '),
): RunningProcess {
  const child = spawn(process.execPath, [IMAGECYCLE_MAIN, ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    label,
    stderr: () => stderr,
    exited,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
}

/** What a one-shot command printed, how it ended, and how long it took. */
export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * A one-shot command (`imagecycle status`, `janitor --wait`, ...) as a child process, run to
 * its end without blocking this process (a test's mirror or worker keeps answering).
 */
export function runImagecycle(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  const at = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IMAGECYCLE_MAIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - at }));
  });
}

/** Waits for a process to end, failing with its stderr when it takes longer than `ms`. */
export async function exitOf(proc: RunningProcess, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`${proc.label} still running after ${ms} ms; stderr:\n${proc.stderr()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback port nothing listens on right now (for a process the test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Waits until `<base>/healthz` answers, and returns what it said. */
export function healthOf(base: string, ms = 30_000): Promise<unknown> {
  return until(() => fetch(`${base}/healthz`).then((r) => (r.ok ? r.json() : undefined)), {
    ms,
    what: `${base}/healthz`,
  });
}
