// A redirect never takes an https feed document onto plain http: the series' URL rules are
// checked before each request, and this is the one hop they cannot see. An https server with
// a throw-away self-signed certificate (openssl) redirects to a plain-http one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentFetcher, FetchError, MemoryDocumentCache } from '../src/index.ts';

let plain: HttpServer;
let secure: HttpsServer;
let plainUrl: string;
let secureUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'redirect-tls-'));

const listen = (server: HttpServer | HttpsServer) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

beforeAll(async () => {
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  plain = createHttpServer((_req, res) => res.end('served over plain http'));
  plainUrl = `http://127.0.0.1:${await listen(plain)}`;
  secure = createHttpsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (req, res) => {
      if (req.url === '/to-http') res.writeHead(302, { location: `${plainUrl}/document` });
      else if (req.url === '/to-https') res.writeHead(302, { location: `${secureUrl}/document` });
      else res.writeHead(200);
      res.end(req.url === '/document' ? 'served over https' : '');
    },
  );
  secureUrl = `https://127.0.0.1:${await listen(secure)}`;
});

afterAll(() => {
  plain.close();
  secure.close();
  rmSync(dir, { recursive: true, force: true });
});

// the certificate is our own throw-away one: TLS verification is what the test turns off
const fetcher = () => new DocumentFetcher({ cache: new MemoryDocumentCache(), verifyTls: false });

describe('DocumentFetcher redirects', () => {
  it('refuses a redirect from https to plain http', async () => {
    const error = await fetcher()
      .fetch('ubuntu-24.04', `${secureUrl}/to-http`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).message).toContain(`series ubuntu-24.04: ${secureUrl}/to-http: `);
    expect((error as FetchError).message).toContain(
      `redirected from https to http://${new URL(plainUrl).host}: refused`,
    );
  });

  it('follows a redirect that stays on https', async () => {
    const document = await fetcher().fetch('ubuntu-24.04', `${secureUrl}/to-https`);
    expect(document.bytes.toString('utf8')).toBe('served over https');
  });
});
