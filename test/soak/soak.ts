// The chaos soak from the command line:
//   ./dev soak --seed N --days D      a run (a random seed when none is given; it is printed)
//   ./dev soak --replay N [--days D]  the same faults in the same order as the run with seed N
//   --series a,b,c                    the series (default ubuntu-24.04, debian-12, flatcar-stable)
//   --convergence-days N              simulated days without faults to converge (default 3)
//   --keep                            leave the run's images in Glance
//   --targets 2                       publish to region one and region two's own Glance (the
//                                     stack's second region), taking region two down now and then
// Exit 0: no violation; 1: violations (each printed when found, with the seed, the step and
// the fault history); 2: usage; 3: not the local stack.
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatReport, runSoak } from './run.ts';

const usage =
  'usage: ./dev soak [--seed N | --replay N] [--days D] [--series a,b] [--convergence-days N] [--targets 1|2] [--keep]';

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      seed: { type: 'string' },
      replay: { type: 'string' },
      days: { type: 'string', default: '5' },
      series: { type: 'string' },
      'convergence-days': { type: 'string', default: '3' },
      keep: { type: 'boolean', default: false },
      targets: { type: 'string', default: '1' },
    },
  }));
} catch (error) {
  process.stderr.write(`soak: ${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}

const integer = (name: string, text: unknown, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(
      `soak: --${name} must be an integer >= ${min}, not "${String(text)}"\n${usage}\n`,
    );
    process.exit(2);
  }
  return n;
};

if (values.seed !== undefined && values.replay !== undefined) {
  process.stderr.write(`soak: --seed and --replay name the same thing; give one\n${usage}\n`);
  process.exit(2);
}
const seedText = values.replay ?? values.seed;
const seed = seedText === undefined ? randomInt(2 ** 31) : integer('seed', seedText, 0);
const days = integer('days', values.days, 1);
const convergenceDays = integer('convergence-days', values['convergence-days'], 1);
const targets = integer('targets', values.targets, 1);
if (targets > 2) {
  process.stderr.write(`soak: --targets must be 1 or 2, not ${targets}\n${usage}\n`);
  process.exit(2);
}

// The soak deletes the managed images of its series and kills its own Redis: the local stack only.
const stackDir = process.env.IMAGECYCLE_STACK_DIR;
if (!stackDir || !process.env.OS_CLIENT_CONFIG_FILE?.startsWith(stackDir)) {
  process.stderr.write(
    'soak: runs only on the local stack (it deletes the managed images of its series); start it with ./dev soak\n',
  );
  process.exit(3);
}

const report = await runSoak({
  seed,
  days,
  convergenceDays,
  keep: values.keep === true,
  targets,
  ...(typeof values.series === 'string'
    ? { series: values.series.split(',').map((s) => s.trim()) }
    : {}),
});
process.stdout.write(`\n${formatReport(report)}\n`);
if (report.violations.length > 0)
  process.stdout.write(
    `\nreplay: ./dev soak --replay ${report.seed} --days ${report.days}${targets > 1 ? ` --targets ${targets}` : ''}\n`,
  );
process.exit(report.violations.length > 0 ? 1 : 0);
