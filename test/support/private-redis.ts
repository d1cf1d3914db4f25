// A Redis of a test's own, so it can be killed and restarted without disturbing the stack's
// Redis that every other test shares. An append-only file (fsync on every write) lets a
// restart keep the queues, as a Redis with persistence does in production.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes.ts';
import { until } from './until.ts';

export interface PrivateRedis {
  readonly url: string;
  /** How many times `restart` brought it back. */
  readonly restarts: number;
  /** SIGKILL, down for `downMs`, then up again on the same port and data. */
  restart(downMs: number): Promise<void>;
  /** SIGTERM, and the data directory removed. */
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let restarts = 0;
  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    child = started;
    await until(() => listening(port), { ms: 10_000, what: 'redis-server to listen' });
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    get restarts() {
      return restarts;
    },
    async restart(downMs) {
      await stopWith('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
      restarts += 1;
    },
    async stop() {
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
