// The fault proxy the soak puts in front of Glance, Nova and Cinder: it passes everything
// through (path prefix of the service's endpoint kept), and during an outage it answers 503,
// 500 or resets the connection, as planned, then passes through again.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';

let upstream: Server;
let proxy: FaultProxy;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`upstream saw ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  // like Cinder's endpoint: a path prefix with the project in it
  proxy = await startFaultProxy(`http://127.0.0.1:${port}/v3/project-1`);
});

afterAll(async () => {
  await proxy.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

const get = async (path: string) => {
  try {
    const reply = await fetch(`${proxy.url}${path}`);
    return { status: reply.status, body: await reply.text() };
  } catch (error) {
    return { status: 'network error', body: String((error as Error).cause ?? error) };
  }
};

describe('the fault proxy', () => {
  it('passes requests through under the endpoint’s path', async () => {
    expect(await get('/volumes/detail?limit=5')).toEqual({
      status: 200,
      body: 'upstream saw GET /v3/project-1/volumes/detail?limit=5',
    });
  });

  it.each([
    ['503', 503],
    ['500', 500],
    ['reset', 'network error'],
  ] as const)(
    'is down answering %s for the outage, and up again after it',
    async (answer, seen) => {
      const before = proxy.counts.unavailable;
      proxy.outage(300, answer);
      const during = await get('/servers/detail');
      expect(during.status).toBe(seen);
      expect(proxy.counts.unavailable).toBe(before + 1);
      await sleep(350);
      expect((await get('/servers/detail')).status).toBe(200);
    },
  );
});
