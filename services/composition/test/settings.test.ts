import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../src/index.ts';

const base = { REDIS_URL: 'redis://127.0.0.1:6379' };

describe('settings', () => {
  it('defaults the usage check to 06:00 and takes an operator cron', () => {
    expect(loadSettings(base).IMAGECYCLE_USAGE_CHECK_CRON).toBe('0 6 * * *');
    expect(
      loadSettings({ ...base, IMAGECYCLE_USAGE_CHECK_CRON: '30 7 * * 1-5' })
        .IMAGECYCLE_USAGE_CHECK_CRON,
    ).toBe('30 7 * * 1-5');
  });

  it('reads the accounts of each role and the roles Cinder calls admin', () => {
    const plain = loadSettings(base);
    expect(plain.IMAGECYCLE_CLOUD_PUBLISH).toBeUndefined();
    expect(plain.IMAGECYCLE_CLOUD_USAGE).toBeUndefined();
    expect(plain.IMAGECYCLE_CINDER_ADMIN_ROLES).toEqual(['admin']);
    const split = loadSettings({
      ...base,
      IMAGECYCLE_CLOUD_PUBLISH: 'imagecycle-publish',
      IMAGECYCLE_CLOUD_USAGE: 'imagecycle-usage',
      IMAGECYCLE_CINDER_ADMIN_ROLES: 'admin, usage-auditor',
    });
    expect(split).toMatchObject({
      IMAGECYCLE_CLOUD_PUBLISH: 'imagecycle-publish',
      IMAGECYCLE_CLOUD_USAGE: 'imagecycle-usage',
      IMAGECYCLE_CINDER_ADMIN_ROLES: ['admin', 'usage-auditor'],
    });
    expect(() => loadSettings({ ...base, IMAGECYCLE_CINDER_ADMIN_ROLES: ' , ' })).toThrow(
      'IMAGECYCLE_CINDER_ADMIN_ROLES: names no role',
    );
  });

  it('names every wrong variable at once', () => {
    let error: unknown;
    try {
      loadSettings({
        ...base,
        IMAGECYCLE_USAGE_CHECK_CRON: 'daily',
        IMAGECYCLE_HTTP_PORT: '99999',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toContain(
      'IMAGECYCLE_USAGE_CHECK_CRON: must be a cron expression of 5 (or 6, with seconds) fields',
    );
    expect((error as Error).message).toContain('IMAGECYCLE_HTTP_PORT');
  });

  it('refuses what BullMQ would reject: a lock under a second, a concurrency for no queue', () => {
    const message = (env: Record<string, string>) => {
      try {
        loadSettings({ ...base, ...env });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message({ IMAGECYCLE_JOB_LOCK_SECONDS: '0' })).toContain(
      'IMAGECYCLE_JOB_LOCK_SECONDS: must be at least 1 second',
    );
    expect(message({ IMAGECYCLE_CONCURRENCY: 'download=2,downlaod=1' })).toContain(
      'IMAGECYCLE_CONCURRENCY: "downlaod" is not a queue; the queues are feed-check, download, upload, reconcile, usage-check, reap',
    );
    expect(loadSettings({ ...base, IMAGECYCLE_CONCURRENCY: 'download=1, reap=8' })).toMatchObject({
      IMAGECYCLE_JOB_LOCK_SECONDS: 30,
      IMAGECYCLE_CONCURRENCY: { download: 1, reap: 8 },
    });
  });
});
