// `imagecycle` with a dependency really down: a Redis of the test's own, started then stopped,
// and a clouds.yaml whose Keystone is a port nothing listens on. The shared stack's Redis and
// Keystone are not touched (its Redis is not even named here).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startImagecycle } from '@imagecycle/test/support/processes';
import { type PrivateRedis, startPrivateRedis } from '@imagecycle/test/support/private-redis';
import { until } from '@imagecycle/test/support/until';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';
import { reapQueue, reconcileQueue } from '@imagecycle/contracts';
import type { QueueDefinition } from '@imagecycle/queues';
import { HOLD_JOB } from '@imagecycle/test/support/hold-job';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'outages-'));
const PASSWORD = 'never-printed-7f3a';
// The packaged catalogue needs no variables (its upstream keys and fingerprints ship with
// it, and validate checks they match); only where smoke tests would boot is named here.
const catalogueVars = {
  // where the smoke tests would boot: nothing is booted here
  SMOKE_TEST_PROJECT: 'outage',
  SMOKE_TEST_FLAVOR: 'm1.large',
};

/** A clouds.yaml of one password cloud whose Keystone is at `authUrl`. */
function cloudsYaml(authUrl: string): string {
  const file = join(dir, `clouds-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      'clouds:',
      '  outage:',
      '    auth_type: password',
      '    auth:',
      `      auth_url: ${authUrl}`,
      '      username: imagecycle',
      `      password: ${PASSWORD}`,
      '      project_name: imagecycle',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    interface: public',
      '    identity_api_version: 3',
      '',
    ].join('\n'),
  );
  return file;
}

function envWith(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...catalogueVars, LOG_LEVEL: 'warn' };
  for (const name of Object.keys(env))
    if (name.startsWith('OS_') || name.startsWith('IMAGECYCLE_') || name.startsWith('REDIS_'))
      delete env[name];
  return { ...env, IMAGECYCLE_QUEUE_PREFIX: `outages-${process.pid}`, ...extra };
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

let keystoneDown: string;
let stoppedRedisUrl: string;
let redis: PrivateRedis;

beforeAll(async () => {
  keystoneDown = `http://127.0.0.1:${await freePort()}/v3`;
  const gone = await startPrivateRedis();
  await gone.stop(); // really stopped: its port answers nothing now
  stoppedRedisUrl = gone.url.replace('redis://', `redis://:${PASSWORD}@`);
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe('Redis down', () => {
  const redisCommands = [['status'], ['images'], ['plan'], ['events'], ['run']];

  it.each(redisCommands)(
    '%s exits 4 within seconds with one line naming Redis, no password, no stack',
    async (command) => {
      const ran = await cli(
        [command],
        envWith({
          REDIS_URL: stoppedRedisUrl,
          OS_CLIENT_CONFIG_FILE: cloudsYaml(keystoneDown),
          OS_CLOUD: 'outage',
        }),
      );
      expect(ran.status).toBe(4);
      expect(ran.ms).toBeLessThan(10_000);
      const address = new URL(stoppedRedisUrl).host;
      expect(ran.stderr).toBe(
        `imagecycle: Redis redis://:***@${address} unreachable: connect ECONNREFUSED ${address}\n`,
      );
      expect(ran.stderr + ran.stdout).not.toContain(PASSWORD);
    },
  );

  it('validate, --help and a command help still work', async () => {
    const env = envWith({ REDIS_URL: stoppedRedisUrl });
    const validate = await cli(['validate'], env);
    expect(validate).toMatchObject({ status: 0, stderr: '' });
    expect(validate.stdout).toMatch(/^ok: \d+ series/);
    expect(await cli(['--help'], env)).toMatchObject({ status: 0, stderr: '' });
    const help = await cli(['status', '--help'], env);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: imagecycle status');
  });
});

describe('Keystone down', () => {
  it('events works: it needs Redis only', async () => {
    const ran = await cli(
      ['events', '--json'],
      envWith({
        REDIS_URL: redis.url,
        OS_CLIENT_CONFIG_FILE: cloudsYaml(keystoneDown),
        OS_CLOUD: 'outage',
      }),
    );
    expect(ran).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(ran.stdout)).toEqual({ events: [] });
  });

  it.each([['status'], ['plan'], ['images']])(
    '%s exits 4, its last line naming Keystone',
    async (command) => {
      const ran = await cli(
        [command],
        envWith({
          REDIS_URL: redis.url,
          OS_CLIENT_CONFIG_FILE: cloudsYaml(keystoneDown),
          OS_CLOUD: 'outage',
        }),
      );
      expect(ran.status).toBe(4);
      expect(ran.ms).toBeLessThan(30_000);
      const last = ran.stderr.trimEnd().split('\n').at(-1);
      expect(last).toBe(
        `imagecycle: identity: POST ${keystoneDown}/auth/tokens failed: ECONNREFUSED: connect ECONNREFUSED ${new URL(keystoneDown).host}`,
      );
      expect(ran.stderr).not.toContain(PASSWORD);
      expect(ran.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it('a worker starts, reports not ready naming Keystone, and stops on SIGTERM', async () => {
    const port = await freePort();
    const worker = startImagecycle(
      ['worker', 'reaper'],
      envWith({
        REDIS_URL: redis.url,
        OS_CLIENT_CONFIG_FILE: cloudsYaml(keystoneDown),
        OS_CLOUD: 'outage',
        IMAGECYCLE_HTTP_HOST: '127.0.0.1',
        IMAGECYCLE_METRICS_PORT: String(port),
      }),
    );
    try {
      const ready = await until(
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(async (r) => ({
            code: r.status,
            body: (await r.json()) as { status: string; checks: Record<string, string> },
          })),
        { ms: 30_000, what: 'the worker /readyz' },
      );
      expect(ready.code).toBe(503);
      expect(ready.body.status).toBe('not ready');
      expect(ready.body.checks.redis).toBe('ok');
      expect(ready.body.checks.keystone).toContain('ECONNREFUSED');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      // still up a few seconds later: waiting, not crash-looping
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(worker.child.exitCode).toBeNull();
    } finally {
      expect(await worker.stop(20_000)).toEqual({ code: 0, signal: null });
    }
  });

  it('the control plane starts and its /readyz says Keystone is down', async () => {
    const port = await freePort();
    const plane = startImagecycle(
      ['control-plane'],
      envWith({
        REDIS_URL: redis.url,
        OS_CLIENT_CONFIG_FILE: cloudsYaml(keystoneDown),
        OS_CLOUD: 'outage',
        IMAGECYCLE_HTTP_HOST: '127.0.0.1',
        IMAGECYCLE_HTTP_PORT: String(port),
        IMAGECYCLE_DEV: '1',
      }),
    );
    try {
      const ready = await until(
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(async (r) => ({
            code: r.status,
            body: (await r.json()) as { checks: Record<string, string> },
          })),
        { ms: 30_000, what: 'the control plane /readyz' },
      );
      expect(ready.code).toBe(503);
      expect(ready.body.checks.keystone).toContain('ECONNREFUSED');
      expect(ready.body.checks.redis).toBe('ok');
    } finally {
      expect(await plane.stop(20_000)).toEqual({ code: 0, signal: null });
    }
  });
});

describe("the control plane's clock", () => {
  it("moves a due retry to wait and recovers a dead worker's job while no worker runs, Keystone down or not", async () => {
    const { prefix, runtime } = testRuntime('cp-clock', { redisUrl: redis.url });
    const lockSeconds = 1;
    const port = await freePort();
    const plane = startImagecycle(
      ['control-plane'],
      envWith({
        REDIS_URL: redis.url,
        OS_CLIENT_CONFIG_FILE: cloudsYaml(keystoneDown),
        OS_CLOUD: 'outage',
        IMAGECYCLE_HTTP_HOST: '127.0.0.1',
        IMAGECYCLE_HTTP_PORT: String(port),
        IMAGECYCLE_DEV: '1',
        IMAGECYCLE_QUEUE_PREFIX: prefix,
        IMAGECYCLE_JOB_LOCK_SECONDS: String(lockSeconds),
      }),
    );
    try {
      // a reap waiting out its retry backoff, due in a second
      const reap = { series: 'ubuntu-24.04', imageId: randomUUID() };
      const retry = await runtime.enqueue(reapQueue, reap, { delay: 1000 });
      // a reconcile taken by a worker that died: active, its lock expiring and never renewed
      const taken = await runtime.enqueue(reconcileQueue, {
        series: 'debian-12',
        reason: 'catalogue changed',
      });
      const dead = spawn(
        process.execPath,
        [HOLD_JOB, redis.url, prefix, reconcileQueue.name, String(lockSeconds * 1000)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const running = new Promise<string>((resolve) =>
        dead.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
      );
      expect(await running).toBe(`running ${taken.id}`);
      dead.kill('SIGKILL');
      await new Promise((resolve) => dead.once('exit', resolve));

      const state = (definition: QueueDefinition, id: string | undefined) =>
        runtime.queue(definition).getJobState(id ?? '');
      await until(async () => (await state(reapQueue, retry.id)) === 'waiting', {
        ms: 20_000,
        what: 'the due reap in wait',
        context: () => plane.stderr(),
      });
      await until(async () => (await state(reconcileQueue, taken.id)) === 'waiting', {
        ms: 20_000,
        what: "the dead worker's reconcile back in wait",
        context: () => plane.stderr(),
      });
      // the control plane consumes nothing: they wait for a worker
      expect(await runtime.queue(reapQueue).getWaitingCount()).toBe(1);
    } finally {
      expect(await plane.stop(20_000)).toEqual({ code: 0, signal: null });
      for (const definition of runtime.definitions)
        await runtime.queue(definition).obliterate({ force: true });
      await runtime.close();
    }
  });
});

describe('clouds.yaml wrong', () => {
  it('missing: exit 3 naming the cloud', async () => {
    const ran = await cli(
      ['status'],
      envWith({
        REDIS_URL: redis.url,
        OS_CLIENT_CONFIG_FILE: join(dir, 'nowhere.yaml'),
        OS_CLOUD: 'outage',
      }),
    );
    expect(ran.status).toBe(3);
    expect(ran.stderr).toMatch(/^imagecycle: .*outage/);
    expect(ran.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('not YAML of clouds: exit 3', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'clouds:\n  outage: [unclosed\n');
    const ran = await cli(
      ['status'],
      envWith({ REDIS_URL: redis.url, OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'outage' }),
    );
    expect(ran.status).toBe(3);
    expect(ran.stderr).toMatch(/^imagecycle: /);
  });

  it('no cloud named at all: a command that reads the cloud exits 3; events needs none', async () => {
    const ran = await cli(['status'], envWith({ REDIS_URL: redis.url }));
    expect(ran.status).toBe(3);
    expect(ran.stderr).toContain('no cloud configured');
    // the cloud is read only by what uses it (least privilege: some processes have none)
    const events = await cli(['events', '--json'], envWith({ REDIS_URL: redis.url }));
    expect(events).toMatchObject({ status: 0, stderr: '' });
  });
});
