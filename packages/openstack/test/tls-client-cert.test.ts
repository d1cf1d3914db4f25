// A clouds.yaml naming a CA and a client certificate with `~` paths, used against a local
// HTTPS server that plays Keystone and accepts only clients holding a certificate of its CA:
// the client presents the certificate (key in its own file, or in the certificate's file),
// and without one the TLS handshake is refused. The certificates are made by openssl here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudConfigError, OpenStackClient } from '../src/index.ts';

let home: string;
let server: Server;
let url: string;
const peers: string[] = [];

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tls-home-'));
  const pki = join(home, 'pki');
  mkdirSync(pki);
  const days = ['-days', '2'];
  openssl(
    pki,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=imagecycle test CA',
  );
  for (const [name, extra] of [
    ['server', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(join(pki, `${name}.ext`), `${extra}\n`);
    openssl(
      pki,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    openssl(
      pki,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      ...days,
      '-extfile',
      `${name}.ext`,
    );
  }
  // The certificate and its key in one file, as `cert:` alone may name.
  writeFileSync(
    join(pki, 'client-bundle.pem'),
    Buffer.concat([readFileSync(join(pki, 'client.crt')), readFileSync(join(pki, 'client.key'))]),
  );

  server = createServer(
    {
      key: readFileSync(join(pki, 'server.key')),
      cert: readFileSync(join(pki, 'server.crt')),
      ca: readFileSync(join(pki, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      peers.push(String(peer.subject?.CN ?? ''));
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': 'tls-token-1' });
      res.end(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            user: { id: 'u1', name: 'u' },
            project: { id: 'p1', name: 'p' },
            catalog: [],
          },
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function connect(tls: string): OpenStackClient {
  const cwd = mkdtempSync(join(tmpdir(), 'tls-cwd-'));
  writeFileSync(
    join(cwd, 'clouds.yaml'),
    [
      'clouds:',
      '  tls:',
      '    auth:',
      `      auth_url: ${url}`,
      '      username: u',
      '      password: tls-pass-0042',
      '      project_name: p',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    identity_api_version: 3',
      '    cacert: ~/pki/ca.pem',
      ...tls
        .split('\n')
        .filter(Boolean)
        .map((line) => `    ${line}`),
      '',
    ].join('\n'),
  );
  return OpenStackClient.connect({ cloud: 'tls', cwd, env: { HOME: home } });
}

describe('client certificates from clouds.yaml', () => {
  it('presents cert and key (with ~ paths) to a server that demands a client certificate', async () => {
    const token = await connect('cert: ~/pki/client.crt\nkey: ~/pki/client.key').session.token();
    expect(token.value).toBe('tls-token-1');
    expect(peers.at(-1)).toBe('client');
  });

  it('finds the key in the certificate file when no key is named', async () => {
    const before = peers.length;
    const token = await connect('cert: ~/pki/client-bundle.pem').session.token();
    expect(token.userId).toBe('u1');
    expect(peers.length).toBe(before + 1);
  });

  it('is refused by that server without a client certificate', async () => {
    const before = peers.length;
    const error = await connect('')
      .session.token()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(peers.length).toBe(before);
    expect((error as Error).message).not.toContain('tls-pass-0042');
  });

  it('names a certificate file it cannot read', () => {
    expect(() => connect('cert: ~/pki/missing.crt\nkey: ~/pki/client.key')).toThrow(
      new CloudConfigError(`cert: ${join(home, 'pki/missing.crt')} cannot be read (ENOENT)`),
    );
  });
});
