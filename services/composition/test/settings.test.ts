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
});
