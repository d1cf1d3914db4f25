// The session's answer to a 401 against a local HTTP server that plays Keystone and Glance:
// a request without a body is repeated once with a new token; a streamed body (a Readable or
// a file) is never sent again behind its caller's back. (Real Keystone and Glance are
// exercised by the integration tests.)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CloudConfig,
  Redactor,
  Session,
  StreamRefusedError,
  Transport,
} from '../src/index.ts';

interface Seen {
  method: string;
  path: string;
  token: string | undefined;
  bytes: number;
}

let server: Server;
let url: string;
let issued = 0;
/** Tokens the fake Glance refuses (as Glance refuses a revoked or expired one). */
const refused = new Set<string>();
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'POST' && path === '/v3/auth/tokens') {
        issued += 1;
        res.writeHead(201, {
          'content-type': 'application/json',
          'x-subject-token': `tok-${issued}`,
        });
        res.end(
          JSON.stringify({
            token: {
              expires_at: new Date(Date.now() + 3600_000).toISOString(),
              user: { id: 'u', name: 'u' },
              project: { id: 'p', name: 'p' },
              catalog: [
                {
                  type: 'image',
                  endpoints: [{ interface: 'public', region_id: 'R', url }],
                },
              ],
            },
          }),
        );
        return;
      }
      const token = req.headers['x-auth-token'] as string | undefined;
      seen.push({ method: req.method ?? '', path, token, bytes });
      if (!token || refused.has(token)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: 'The request you have made requires authentication.' },
          }),
        );
        return;
      }
      res.statusCode = req.method === 'PUT' ? 204 : 200;
      res.end(req.method === 'PUT' ? undefined : '{"images":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
  refused.clear();
});

function session(): Session {
  const config: CloudConfig = {
    source: 'test',
    auth: {
      type: 'password',
      authUrl: url,
      username: 'u',
      password: 'secret-pw',
      projectName: 'p',
    },
    regionName: 'R',
    interface: 'public',
    verify: true,
    cacert: undefined,
    endpointOverrides: {},
  };
  return new Session(config, new Transport({ redactor: new Redactor() }));
}

function fileOf(bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'session-')), 'disk.img');
  writeFileSync(path, bytes);
  return path;
}

describe('Session on a 401', () => {
  it('repeats a request without a body once, with a new token', async () => {
    const s = session();
    const doomed = await s.token();
    refused.add(doomed.value);
    const reply = await s.request({
      service: 'image',
      method: 'GET',
      url: `${url}/v2/images`,
      expect: [200],
    });
    expect(reply.status).toBe(200);
    expect(seen.map((r) => r.token)).toEqual([doomed.value, (await s.token()).value]);
    expect((await s.token()).value).not.toBe(doomed.value);
  });

  const bodies = {
    file: (data: Buffer) => {
      const chunks: number[] = [];
      return {
        spec: {
          file: {
            path: fileOf(data),
            size: data.length,
            onOpen: () => (c: Buffer) => void chunks.push(c.length),
          },
        },
        read: () => chunks.reduce((a, b) => a + b, 0),
      };
    },
    stream: (data: Buffer) => {
      let read = 0;
      const body = Readable.from(
        (function* () {
          for (let at = 0; at < data.length; at += 65536) {
            const chunk = data.subarray(at, at + 65536);
            read += chunk.length;
            yield chunk;
          }
        })(),
      );
      return { spec: { body }, read: () => read };
    },
  };

  for (const [kind, make] of Object.entries(bodies)) {
    it(`never sends a ${kind} body twice: the error names the request and says to restart it; the next request has a new token`, async () => {
      const s = session();
      const doomed = await s.token();
      refused.add(doomed.value);
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const body = make(data);
      const error = await s
        .request({
          service: 'image',
          method: 'PUT',
          url: `${url}/v2/images/img-1/file`,
          ...body.spec,
          headers: { 'content-type': 'application/octet-stream' },
          expect: [204],
        })
        .catch((e: unknown) => e);

      // Sent once, read once: the body was not re-sent behind the caller's back.
      expect(seen.filter((r) => r.method === 'PUT')).toEqual([
        { method: 'PUT', path: '/v2/images/img-1/file', token: doomed.value, bytes: data.length },
      ]);
      expect(body.read()).toBe(data.length);
      expect(error).toBeInstanceOf(StreamRefusedError);
      const refusal = error as StreamRefusedError;
      expect(refusal.retryable).toBe(true);
      expect(refusal.status).toBe(401);
      expect(refusal.message).toContain('PUT /v2/images/img-1/file');
      expect(refusal.message).toMatch(/not sent again/);
      expect(refusal.message).not.toContain(doomed.value);

      // The session dropped the refused token: the next request authenticates anew.
      const next = await s.request({
        service: 'image',
        method: 'GET',
        url: `${url}/v2/images`,
        expect: [200],
      });
      expect(next.status).toBe(200);
      expect(seen.at(-1)?.token).not.toBe(doomed.value);
      expect(seen.filter((r) => r.token === doomed.value)).toHaveLength(1);
    });
  }
});
