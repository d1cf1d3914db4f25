import { describe, expect, it } from 'vitest';
import { injectedInAll, regionTwoOutageCasualty } from './run.ts';

describe("the soak report's total", () => {
  it('counts everything once: a withdrawal is both a fault and an upstream event', () => {
    expect(
      injectedInAll({
        faults: { sigkill: 2, withdraw: 1 },
        upstream: { release: 3, withdraw: 1 },
        tenants: { stop: 1 },
        operator: { reactivate: 1 },
      }),
    ).toBe(8);
    expect(injectedInAll({ faults: {}, upstream: {}, tenants: {}, operator: {} })).toBe(0);
  });
});

describe('a failed job excused as a casualty of region two being down', () => {
  const proxy = { url: 'http://127.0.0.1:38935' };
  const giveUp =
    'target region-two unreachable for 20 s, longer than allowed (IMAGECYCLE_TARGET_OUTAGE_SECONDS): image: GET http://127.0.0.1:38935/v2/images answered 503: 503 Service Unavailable (fault proxy)';

  it("is region two's upload that gave up, or its other work failing on its proxy's 503 or reset", () => {
    expect(regionTwoOutageCasualty({ target: 'region-two' }, giveUp, proxy)).toBe(true);
    expect(
      regionTwoOutageCasualty(
        { target: 'region-two', trigger: 'schedule' },
        'image: GET http://127.0.0.1:38935/v2/images failed: ECONNRESET: socket hang up',
        proxy,
      ),
    ).toBe(true);
    expect(
      regionTwoOutageCasualty(
        { target: 'region-two' },
        'image: GET http://127.0.0.1:38935/v2/images answered 503: 503 Service Unavailable (fault proxy)',
        proxy,
      ),
    ).toBe(true);
  });

  it("is never region one's, a job naming no target, another error, or any job with one target", () => {
    expect(regionTwoOutageCasualty({ target: 'region-one' }, giveUp, proxy)).toBe(false);
    expect(regionTwoOutageCasualty({ trigger: 'schedule' }, giveUp, proxy)).toBe(false);
    expect(
      regionTwoOutageCasualty(
        { target: 'region-two' },
        'image: GET http://127.0.0.1:38935/v2/images answered 500: boom',
        proxy,
      ),
    ).toBe(false);
    expect(
      regionTwoOutageCasualty(
        { target: 'region-two' },
        'target "default" is not in the catalogue (its targets: region-one, region-two)',
        proxy,
      ),
    ).toBe(false);
    expect(
      regionTwoOutageCasualty(
        { target: 'region-two' },
        'image: GET http://127.0.0.1:9292/v2/images answered 503: unavailable',
        proxy,
      ),
    ).toBe(false);
    expect(regionTwoOutageCasualty({ target: 'region-two' }, giveUp, undefined)).toBe(false);
  });
});
