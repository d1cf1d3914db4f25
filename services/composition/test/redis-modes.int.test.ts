// The three Redis modes for real, each built from the settings by connectRedis: the test
// starts its own redis-server processes (a master with a password, a Sentinel that has one
// too, a 3-master Redis Cluster) on free loopback ports in a temporary directory, and in
// each mode sends a job through the queue runtime to a worker and back, appends to and reads
// the events stream, and writes and reads the feed cache. Nothing but redis-server is needed;
// the shared Redis of the local stack is not touched.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Events } from '@imagecycle/events';
import { RedisDocumentCache } from '@imagecycle/feed-watcher';
import { defineQueue, type HandlerMap, jobIdFrom, QueueRuntime } from '@imagecycle/queues';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectRedis, type RedisClient } from '../src/redis-connection.ts';
import { loadSettings, type Settings } from '../src/settings.ts';

const MASTER_PASSWORD = `master-${randomBytes(6).toString('hex')}`;
const SENTINEL_PASSWORD = `sentinel-${randomBytes(6).toString('hex')}`;

const probe = defineQueue({
  name: 'probe',
  description: 'one job to a worker and back',
  payload: z.object({ mode: z.string().min(1), n: z.number().int() }),
  defaultJobOptions: { attempts: 1 },
  concurrency: 1,
  jobId: (payload) => jobIdFrom('probe', payload.mode),
});

/** Every log line of the runtime and the events, to show no password is in one. */
const lines: string[] = [];
const logger = {
  info: (object: object, message?: string) => lines.push(JSON.stringify({ ...object, message })),
  warn: (object: object, message?: string) => lines.push(JSON.stringify({ ...object, message })),
  error: (object: object, message?: string) => lines.push(JSON.stringify({ ...object, message })),
};

let dir: string;
const servers: { name: string; child: ChildProcess; output: string[] }[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function startServer(name: string, args: string[]): void {
  const child = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.on('error', (error) => output.push(`spawn redis-server: ${error.message}`));
  servers.push({ name, child, output });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const logs = servers.map((s) => `--- ${s.name}\n${s.output.join('').slice(-1500)}`);
      throw new Error(`${what}: not within ${ms} ms (${String(last)})\n${logs.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A plain connection to one server, for setting it up; fails fast instead of retrying. */
async function admin<T>(port: number, password: string, use: (redis: Redis) => Promise<T>) {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // connect() rejects with it; a server still starting is retried
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

const dataServer = (port: number) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--requirepass',
  MASTER_PASSWORD,
  '--masterauth',
  MASTER_PASSWORD,
];

let masterPort: number;
let sentinelPort: number;
const clusterPorts: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imagecycle-redis-modes-'));

  // standalone master, and a Sentinel that watches it (both need a password)
  masterPort = await freePort();
  sentinelPort = await freePort();
  startServer('master', dataServer(masterPort));
  const sentinelConf = join(dir, 'sentinel.conf');
  await writeFile(
    sentinelConf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `requirepass ${SENTINEL_PASSWORD}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
      `sentinel auth-pass mymaster ${MASTER_PASSWORD}`,
      'sentinel down-after-milliseconds mymaster 5000',
      '',
    ].join('\n'),
  );
  startServer('sentinel', [sentinelConf, '--sentinel']);

  // three cluster masters, each with its own bus port, slots split by hand
  const busPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const bus = await freePort();
    clusterPorts.push(port);
    busPorts.push(bus);
    startServer(`cluster-${i}`, [
      ...dataServer(port),
      '--cluster-enabled',
      'yes',
      '--cluster-port',
      String(bus),
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '5000',
      '--dir',
      dir,
    ]);
  }
  const ranges = [
    [0, 5460],
    [5461, 10922],
    [10923, 16383],
  ];
  for (const [i, port] of clusterPorts.entries()) {
    await waitFor(`cluster node ${port}`, () => admin(port, MASTER_PASSWORD, (r) => r.ping()));
    const [from, to] = ranges[i] as number[];
    await admin(port, MASTER_PASSWORD, (r) =>
      r.call('CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)),
    );
  }
  const [first = 0] = clusterPorts;
  for (const [i, port] of clusterPorts.entries())
    if (port !== first)
      await admin(first, MASTER_PASSWORD, (r) =>
        r.call('CLUSTER', 'MEET', '127.0.0.1', String(port), String(busPorts[i])),
      );
  for (const port of clusterPorts)
    await waitFor(`cluster state ok on ${port}`, async () => {
      const info = await admin(port, MASTER_PASSWORD, (r) => r.cluster('INFO'));
      return /cluster_state:ok/.test(info) && /cluster_known_nodes:3/.test(info) ? true : undefined;
    });

  await waitFor('master', () => admin(masterPort, MASTER_PASSWORD, (r) => r.ping()));
  await waitFor('sentinel knows the master', () =>
    admin(sentinelPort, SENTINEL_PASSWORD, (r) =>
      r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'),
    ),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(
    servers.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Through the connections `connectRedis` builds from `settings`: a job to a worker and back,
 * an event appended and read, a feed document cached and read. Returns the keys' names.
 */
async function roundTrip(settings: Settings, check?: (client: RedisClient) => Promise<void>) {
  const prefix = settings.IMAGECYCLE_QUEUE_PREFIX;
  const { mode, client, queueConnection } = connectRedis(settings);
  const runtime = new QueueRuntime({
    connection: queueConnection,
    prefix,
    queues: [probe],
    logger,
  });
  try {
    const seen: unknown[] = [];
    const handlers: HandlerMap<[typeof probe]> = {
      probe: (payload, context) => {
        seen.push(payload);
        return Promise.resolve({ doubled: payload.n * 2, attempt: context.attempt });
      },
    };
    runtime.startWorkers(handlers, [probe]);
    const job = await runtime.enqueue(probe, { mode, n: 21 });
    const done = await waitFor(`the ${mode} job`, async () => {
      const current = await runtime.queue(probe).getJob(job.id ?? '');
      return current?.finishedOn ? current : undefined;
    });
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toEqual({ doubled: 42, attempt: 1 });
    expect(seen).toEqual([{ mode, n: 21 }]);

    const events = new Events({ redis: client, logger, stream: `${prefix}:events` });
    await events.record({ type: 'discovered', series: 'ubuntu-24.04', version: mode });
    expect(await events.recent(5)).toEqual([
      expect.objectContaining({ type: 'discovered', series: 'ubuntu-24.04', version: mode }),
    ]);

    const cache = new RedisDocumentCache(client, { prefix: `${prefix}:feed-cache:` });
    const url = 'https://cloud-images.ubuntu.com/noble/current/SHA256SUMS';
    await cache.set(url, { etag: '"abc"', body: `sums of ${mode}` });
    expect(await cache.get(url)).toEqual({ etag: '"abc"', body: `sums of ${mode}` });

    await check?.(client);
  } finally {
    await runtime.close();
    client.disconnect();
  }
}

describe('Redis modes, built from the settings', () => {
  it('standalone: REDIS_URL with REDIS_PASSWORD', async () => {
    const settings = loadSettings({
      REDIS_URL: `redis://127.0.0.1:${masterPort}`,
      REDIS_PASSWORD: MASTER_PASSWORD,
      IMAGECYCLE_QUEUE_PREFIX: `itest-${randomBytes(4).toString('hex')}`,
    });
    await roundTrip(settings);
  });

  it('Sentinel: the master it names, with the master and Sentinel passwords', async () => {
    const settings = loadSettings({
      IMAGECYCLE_REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
      IMAGECYCLE_REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_PASSWORD: MASTER_PASSWORD,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      IMAGECYCLE_QUEUE_PREFIX: `itest-${randomBytes(4).toString('hex')}`,
    });
    await roundTrip(settings, async (client) => {
      // the connection went to the master that Sentinel named
      expect(await client.info('server')).toContain(`tcp_port:${masterPort}`);
      expect(await client.info('replication')).toContain('role:master');
    });
  });

  it('Cluster: every key under the hash-tagged prefix, in one slot', async () => {
    const prefix = `{itest-${randomBytes(4).toString('hex')}}`;
    const settings = loadSettings({
      // two seeds: the third node is discovered
      IMAGECYCLE_REDIS_CLUSTER_NODES: clusterPorts
        .slice(0, 2)
        .map((port) => `127.0.0.1:${port}`)
        .join(','),
      REDIS_PASSWORD: MASTER_PASSWORD,
      IMAGECYCLE_QUEUE_PREFIX: prefix,
    });
    await roundTrip(settings, async (client) => {
      expect(client).toBeInstanceOf(Cluster);
      const cluster = client as Cluster;
      const holders: string[][] = [];
      for (const node of cluster.nodes('master')) {
        const keys = await node.keys(`${prefix}*`);
        if (keys.length > 0) holders.push(keys);
      }
      // all of BullMQ's keys, the events stream and the feed cache live on one master
      expect(holders).toHaveLength(1);
      expect(holders[0]).toEqual(
        expect.arrayContaining([
          `${prefix}:probe:meta`,
          `${prefix}:events`,
          `${prefix}:feed-cache:https://cloud-images.ubuntu.com/noble/current/SHA256SUMS`,
        ]),
      );
      const slots = new Set(
        await Promise.all((holders[0] ?? []).map((key) => cluster.cluster('KEYSLOT', key))),
      );
      expect(slots.size).toBe(1);

      // why the settings insist on the tag: without it BullMQ's scripts span slots
      const untagged = new QueueRuntime({
        connection: client,
        prefix: `itest-untagged-${randomBytes(4).toString('hex')}`,
        queues: [probe],
      });
      try {
        await expect(untagged.enqueue(probe, { mode: 'untagged', n: 1 })).rejects.toThrow(
          /CROSSSLOT/,
        );
      } finally {
        await untagged.close();
      }
    });
  });

  it('wrote no password into any log line', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain(MASTER_PASSWORD);
      expect(line).not.toContain(SENTINEL_PASSWORD);
    }
  });
});
