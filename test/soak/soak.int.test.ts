// A short chaos soak with a fixed seed: the real workers, one process per replica, against the
// real stack and the local mirror, over three simulated days of faults and then up to three
// quiet ones to converge. Any invariant violation, a pipeline that never comes to rest, a
// failure to converge or a worker dying on its own fails the test; the report names the step
// and the fault history. On the local stack it takes about two minutes.
// Longer runs: ./dev soak --seed N --days D
import { describe, expect, it } from 'vitest';
import { formatReport, runSoak } from './run.ts';

const SEED = 20261101;

describe('the chaos soak', () => {
  it(`seed ${SEED}, three simulated days: every invariant holds after every step, and the system converges`, async () => {
    const lines: string[] = [];
    const report = await runSoak({
      seed: SEED,
      days: 3,
      series: ['ubuntu-24.04', 'debian-12'],
      log: (line) => lines.push(line),
    });
    const summary = formatReport(report);
    process.stdout.write(`${summary}\n`);
    expect(report.steps).toBe(6);
    expect(report.checkRounds).toBeGreaterThanOrEqual(7);
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(report.violations, `${summary}\n\n${lines.join('\n')}`).toEqual([]);
    expect(report.converged, summary).toBe(true);
    // a worker that died without the soak killing it is a defect too
    expect(report.unexpectedExits, summary).toEqual([]);
  }, 230_000);
});
