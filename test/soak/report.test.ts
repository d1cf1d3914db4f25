import { describe, expect, it } from 'vitest';
import { injectedInAll } from './run.ts';

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
