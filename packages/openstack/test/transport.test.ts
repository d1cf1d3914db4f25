// The transport's retry and error behaviour against a local HTTP server that plays a
// failing service. (The real services are exercised by the integration tests.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OpenStackConnectionError,
  OpenStackHttpError,
  Redactor,
  type RequestInfo,
  Transport,
  type Logger,
} from '../src/index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let url: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      hits += 1;
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function transport(log: string[] = []) {
  const logger: Logger = {
    debug: (o, m) => log.push(JSON.stringify({ m, ...o })),
    info: (o, m) => log.push(JSON.stringify({ m, ...o })),
    warn: (o, m) => log.push(JSON.stringify({ m, ...o })),
    error: (o, m) => log.push(JSON.stringify({ m, ...o })),
  };
  const slept: number[] = [];
  const t = new Transport({
    redactor: new Redactor(),
    logger,
    sleep: (ms) => Promise.resolve(slept.push(ms)),
    random: () => 1,
  });
  return { t, slept };
}

describe('Transport', () => {
  it('retries a GET through 503s and answers with the eventual success', async () => {
    hits = 0;
    handler = (_req, res) => {
      if (hits < 3) {
        res.statusCode = 503;
        res.end('busy');
      } else res.end('{"ok":true}');
    };
    const { t, slept } = transport();
    const reply = await t.request({
      service: 'image',
      method: 'GET',
      url: `${url}/v2/images`,
      expect: [200],
    });
    expect(reply.body).toBe('{"ok":true}');
    expect(hits).toBe(3);
    expect(slept).toEqual([250, 500]);
  });

  it('honours Retry-After on 429', async () => {
    hits = 0;
    handler = (_req, res) => {
      if (hits === 1) {
        res.writeHead(429, { 'retry-after': '3' });
        res.end();
      } else res.end('{}');
    };
    const { t, slept } = transport();
    await t.request({ service: 'compute', method: 'GET', url, expect: [200] });
    expect(slept).toEqual([3000]);
  });

  it('never repeats a streamed body or a POST', async () => {
    hits = 0;
    handler = (_req, res) => {
      res.statusCode = 503;
      res.end();
    };
    const { t } = transport();
    await expect(
      t.request({
        service: 'image',
        method: 'PUT',
        url,
        body: Readable.from([Buffer.from('bytes')]),
        expect: [204],
      }),
    ).rejects.toMatchObject({ status: 503 });
    expect(hits).toBe(1);
    await expect(
      t.request({ service: 'image', method: 'POST', url, json: {}, expect: [201] }),
    ).rejects.toBeInstanceOf(OpenStackHttpError);
    expect(hits).toBe(2);
  });

  it('gives a typed error with the status, the request id and the service message - secrets masked', async () => {
    handler = (_req, res) => {
      res.writeHead(403, {
        'content-type': 'application/json',
        'x-openstack-request-id': 'req-1234',
      });
      res.end(
        JSON.stringify({
          message: 'Forbidden for password "pa55word-xyz"',
          code: 403,
          title: 'Forbidden',
        }),
      );
    };
    const log: string[] = [];
    const { t } = transport(log);
    t.redactor.add('pa55word-xyz');
    const error = await t
      .request({
        service: 'image',
        method: 'DELETE',
        url: `${url}/v2/images/x`,
        expect: [204],
        headers: { 'x-auth-token': 'tok-secret-1' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenStackHttpError);
    const http = error as OpenStackHttpError;
    expect(http.status).toBe(403);
    expect(http.requestId).toBe('req-1234');
    expect(http.serviceMessage).toBe('Forbidden for password "[REDACTED]"');
    expect(http.message).toContain(`image: DELETE ${url}/v2/images/x answered 403`);
    expect(http.message).not.toContain('pa55word-xyz');
    expect(log.join('\n')).not.toContain('tok-secret-1');
    expect(log.join('\n')).toContain('req-1234');
  });

  it('reports a refused connection as a connection error after its retries', async () => {
    const { t, slept } = transport();
    const error = await t
      .request({ service: 'identity', method: 'GET', url: 'http://127.0.0.1:1/v3', expect: [200] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenStackConnectionError);
    expect((error as OpenStackConnectionError).code).toBe('ECONNREFUSED');
    expect(slept).toHaveLength(4);
  });

  it('tells an observer of every attempt - retries and refused connections too - without headers, query or body', async () => {
    hits = 0;
    handler = (_req, res) => {
      res.statusCode = hits < 2 ? 503 : 200;
      res.end(hits < 2 ? 'busy' : '{"secret-body":"pa55word-xyz"}');
    };
    const { t } = transport();
    t.redactor.add('tok-secret-1');
    const seen: RequestInfo[] = [];
    const stop = t.observe((info) => seen.push(info));
    await t.request({
      service: 'image',
      method: 'GET',
      url: `${url}/v2/images?marker=abc&limit=2`,
      headers: { 'x-auth-token': 'tok-secret-1' },
      expect: [200],
    });
    await t
      .request({ service: 'compute', method: 'GET', url: 'http://127.0.0.1:1/', expect: [200] })
      .catch(() => undefined);

    expect(seen.map(({ ms: _ms, ...rest }) => rest)).toEqual([
      { service: 'image', method: 'GET', path: '/v2/images', status: 503, attempt: 1 },
      { service: 'image', method: 'GET', path: '/v2/images', status: 200, attempt: 2 },
      ...[1, 2, 3, 4, 5].map((attempt) => ({
        service: 'compute',
        method: 'GET',
        path: '/',
        status: undefined,
        attempt,
      })),
    ]);
    expect(seen.every((info) => Number.isInteger(info.ms) && info.ms >= 0)).toBe(true);
    const heard = JSON.stringify(seen);
    for (const secret of ['tok-secret-1', 'pa55word', 'marker', 'busy']) {
      expect(heard).not.toContain(secret);
    }

    stop();
    await t.request({ service: 'image', method: 'GET', url, expect: [200] });
    expect(seen).toHaveLength(7);
  });

  it('keeps answering when an observer throws', async () => {
    handler = (_req, res) => res.end('{}');
    const log: string[] = [];
    const { t } = transport(log);
    const heard: number[] = [];
    t.observe(() => {
      throw new Error('observer broke');
    });
    t.observe((info) => heard.push(info.status ?? 0));
    const reply = await t.request({ service: 'image', method: 'GET', url, expect: [200] });
    expect(reply.status).toBe(200);
    expect(heard).toEqual([200]);
    expect(log.join('\n')).toContain('openstack request observer failed');
  });

  it("ends a request its signal aborts at once, with the signal's reason, and never retries it", async () => {
    hits = 0;
    const held: ServerResponse[] = [];
    handler = (_req, res) => void held.push(res); // a service that never answers
    const { t, slept } = transport();
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('drain deadline passed')), 100);
    const started = Date.now();
    await expect(
      t.request({
        service: 'image',
        method: 'GET',
        url: `${url}/v2/images`,
        expect: [200],
        signal: cancel.signal,
      }),
    ).rejects.toThrow('drain deadline passed');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(hits).toBe(1);
    expect(slept).toEqual([]);
    for (const res of held) res.end();
  });

  it('stops waiting to retry when its signal is aborted', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'retry-after': '30' });
      res.end('busy');
    };
    const t = new Transport({ redactor: new Redactor() }); // the real clock's sleep
    const cancel = new AbortController();
    const started = Date.now();
    setTimeout(() => cancel.abort(new Error('drain deadline passed')), 100);
    await expect(
      t.request({
        service: 'image',
        method: 'GET',
        url: `${url}/v2/images`,
        expect: [200],
        signal: cancel.signal,
      }),
    ).rejects.toThrow('drain deadline passed');
    // not the 30 s the service asked to wait
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('Transport sending a file', () => {
  it("cancels an upload in progress: the PUT ends at once with the signal's reason", async () => {
    // a service that takes the request but reads nothing: the file backs up behind it
    const stalled = createServer(() => undefined);
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'cancel-upload-'));
    const path = join(dir, 'disk.img');
    writeFileSync(path, Buffer.alloc(64 * 1024 * 1024));
    const sent: number[] = [];
    const cancel = new AbortController();
    try {
      const { t } = transport();
      setTimeout(() => cancel.abort(new Error('drain deadline passed')), 300);
      const started = Date.now();
      await expect(
        t.request({
          service: 'image',
          method: 'PUT',
          url: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/v2/images/x/file`,
          file: { path, size: 64 * 1024 * 1024 },
          expect: [204],
          onUploadProgress: ({ transferred }) => void sent.push(transferred),
          signal: cancel.signal,
        }),
      ).rejects.toThrow('drain deadline passed');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(Math.max(0, ...sent)).toBeLessThan(64 * 1024 * 1024);
    } finally {
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
