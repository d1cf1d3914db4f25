// Keystone through the client: both kinds of credentials, token renewal before expiry,
// the single re-authentication on 401, and secrets kept out of errors and logs.
import { describe, expect, it } from 'vitest';
import { AuthError, type Logger, OpenStackClient, resolveCloudConfig } from '@imagecycle/openstack';
import { cloudNames, connect } from '../../support/clouds.ts';
import { countRequests } from '../../support/request-count.ts';

/** Keystone answers 201 to each token it issues (POST /v3/auth/tokens). */
const tokenIssued = { service: 'identity', method: 'POST', status: 201 } as const;

function capturingLogger(lines: string[]): Logger {
  const push = (level: string) => (object: object, message?: string) =>
    lines.push(JSON.stringify({ level, message, ...object }));
  return { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

describe('Keystone through the client', () => {
  it('authenticates with a password and with an application credential, scoped to the service project', async () => {
    const byPassword = connect('service');
    const byAppCredential = connect('serviceAppCredential');
    const [a, b] = await Promise.all([byPassword.session.token(), byAppCredential.session.token()]);
    expect(a.projectId).toBeTruthy();
    expect(b.projectId).toBe(a.projectId);
    expect(a.roles).toContain('admin');
    const listed = await byAppCredential.glance.listAllImages({ limit: 1 });
    expect(Array.isArray(listed)).toBe(true);
  });

  it('issues one token for many concurrent calls, and renews it before it expires', async () => {
    let now = Date.now();
    const client = connect('service', { session: { now: () => now } });
    const requests = countRequests(client);
    await Promise.all([1, 2, 3, 4].map(() => client.glance.listAllImages({ limit: 1 })));
    expect(requests.of(tokenIssued)).toBe(1);
    const first = await client.session.token();

    now = first.expiresAt - 60_000; // inside the renewal margin
    await client.glance.listAllImages({ limit: 1 });
    expect(requests.of(tokenIssued)).toBe(2);
    expect((await client.session.token()).value).not.toBe(first.value);
  });

  it('re-authenticates once when a service answers 401, and the call succeeds', async () => {
    const lines: string[] = [];
    const client = connect('service', { logger: capturingLogger(lines) });
    const requests = countRequests(client);
    const doomed = await client.session.token();
    // Revoke the token before Glance has ever seen it (so no cache can still accept it).
    const adminToken = await connect('admin').session.token();
    const authUrl = resolveCloudConfig({ cloud: cloudNames.admin })
      .auth.authUrl.replace(/\/+$/, '')
      .replace(/\/v3$/, '');
    const revoked = await fetch(`${authUrl}/v3/auth/tokens`, {
      method: 'DELETE',
      headers: {
        'x-auth-token': adminToken.value,
        'x-subject-token': doomed.value,
        connection: 'close',
      },
    });
    expect(revoked.status).toBe(204);

    const images = await client.glance.listAllImages({ limit: 1 });
    expect(Array.isArray(images)).toBe(true);
    expect(requests.of(tokenIssued)).toBe(2);
    expect(requests.of({ service: 'image', status: 401 })).toBe(1);
    const log = lines.join('\n');
    expect(log).toContain('"status":401');
    expect(log).not.toContain(doomed.value);
    const renewed = (await client.session.token()).value;
    expect(log).not.toContain(renewed);
    const observed = JSON.stringify(requests.seen);
    expect(observed).not.toContain(doomed.value);
    expect(observed).not.toContain(renewed);
  });

  it('keeps the password out of the error and the log when Keystone refuses it', async () => {
    const config = resolveCloudConfig({ cloud: cloudNames.service });
    const password = 'wrong-password-8c1f2e';
    const lines: string[] = [];
    const client = OpenStackClient.connect({
      config: {
        ...config,
        auth: { ...config.auth, type: 'password', password } as typeof config.auth,
      },
      logger: capturingLogger(lines),
    });
    const error = await client.glance.listAllImages().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toContain('Keystone refused the credentials');
    expect((error as Error).message).not.toContain(password);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(password);
    const token = (await connect('service').session.token()).value;
    expect(lines.join('\n')).not.toContain(token);
  });
});
