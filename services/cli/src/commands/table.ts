// Every command of `imagecycle`, once: its name, what it does, what it takes, whether it needs
// the App (and whether to stop it afterwards), and what it runs. The help texts, the parsing
// and main.ts's dispatch come from here.
import { WORKER_NAMES } from '@imagecycle/composition';
import { LIFECYCLE_STATES, type LifecycleState } from '@imagecycle/contracts';
import { validateCommand } from '@imagecycle/series-catalogue';
import {
  type Command,
  defineCommand,
  type Flag,
  type List,
  type OptionSpecs,
  type Program,
  type Value,
} from '../command-line.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import cliPackage from '../../package.json' with { type: 'json' };
import { chosenFormat, formatOption } from '../output.ts';
import { janitorJob } from './janitor.ts';
import { jobCommand } from './job.ts';
import { runCommand } from './run.ts';
import { usageCheckJob } from './usage-check.ts';
import { eventsCommand, imagesCommand, planCommand, statusCommand } from './views.ts';
import { parseWorkerNames, runWorkers } from './worker.ts';

const json: Flag = { kind: 'flag', help: 'machine-readable output on stdout' };
const listingJson: Flag = { kind: 'flag', help: 'the same as -f json' };
const series: List = { kind: 'list', value: 'ID', help: 'only these series; all when none' };
/** --target NAME: one of the catalogue's targets (checked when the command runs). */
const target: Value<string> = {
  kind: 'value',
  value: 'NAME',
  help: "only this target (the catalogue's targets:); every target when none",
  parse: (raw) => raw,
};

function positiveNumber(what: string) {
  return (raw: string, option: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new CliError(EXIT.usage, `${option}: "${raw}" is not a positive number of ${what}`);
    return n;
  };
}

function positiveInteger(raw: string, option: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(EXIT.usage, `${option}: "${raw}" is not a positive integer`);
  return n;
}

/** --wait, --timeout and --json of a command that starts work and may wait for it. */
function waiting(waitHelp: string, defaultSeconds: string) {
  return {
    wait: { kind: 'flag', help: waitHelp },
    timeout: {
      kind: 'value',
      value: 'SECONDS',
      help: 'with --wait, give up waiting after this long',
      default: defaultSeconds,
      parse: positiveNumber('seconds'),
    },
    json,
  } as const satisfies OptionSpecs;
}

const state: Value<LifecycleState> = {
  kind: 'value',
  value: 'STATE',
  help: `only images in this state: ${LIFECYCLE_STATES.join(', ')}`,
  parse: (raw, option) => {
    const found = LIFECYCLE_STATES.find((s) => s === raw);
    if (!found)
      throw new CliError(
        EXIT.usage,
        `${option}: "${raw}" is not one of ${LIFECYCLE_STATES.join(', ')}`,
      );
    return found;
  },
};

export const COMMANDS: readonly Command[] = [
  defineCommand({
    name: 'validate',
    summary: 'check the series catalogue; every problem as file:line:column path: rule',
    positionals: {
      synopsis: '[FILE]',
      help: 'the catalogue to check (default: the packaged one)',
      parse: (args) => {
        if (args.length > 1)
          throw new CliError(
            EXIT.usage,
            `validate: one FILE at most, not ${args.length}; see imagecycle validate --help`,
          );
        return args[0];
      },
    },
    options: { json },
    lifetime: 'no-app',
    run: async ({ options, args }) => {
      const code = await validateCommand(
        [...(args === undefined ? [] : [args]), ...(options.json ? ['--json'] : [])],
        process.env,
      );
      // 1 invalid, 2 unreadable: either way the configuration is wrong
      return code === 0 ? EXIT.ok : EXIT.config;
    },
  }),
  defineCommand({
    name: 'status',
    summary:
      'each series: Latest, newest upstream, the last check and how it ended, community images and the next reap date, images in flight',
    options: { series, target, format: formatOption, json: listingJson },
    lifetime: 'one-shot',
    run: ({ options }, app) => statusCommand(app, { ...options, format: chosenFormat(options) }),
  }),
  defineCommand({
    name: 'images',
    summary: 'managed images, newest first, each with why it is still here',
    options: { series, state, target, format: formatOption, json: listingJson },
    lifetime: 'one-shot',
    run: ({ options }, app) => imagesCommand(app, { ...options, format: chosenFormat(options) }),
  }),
  defineCommand({
    name: 'plan',
    summary:
      'what a run would change now - downloads, renames, usage records, reaps - reading the feeds, Glance, Nova and Cinder; changes nothing',
    options: { series, target, format: formatOption, json: listingJson },
    lifetime: 'one-shot',
    run: ({ options }, app) => planCommand(app, { ...options, format: chosenFormat(options) }),
  }),
  defineCommand({
    name: 'run',
    summary: 'check the series upstream now',
    options: {
      series,
      ...waiting('follow the pipeline until it is at rest, with progress bars', '3600'),
    },
    lifetime: 'one-shot',
    run: ({ options }, app) => runCommand(app, { ...options, timeoutSeconds: options.timeout }),
  }),
  defineCommand({
    name: 'janitor',
    summary:
      'one janitor pass now: names and properties, dead candidates, stranded reaps, abandoned staging',
    options: {
      series: { ...series, help: 'only these series (staging is tidied only in a pass over all)' },
      target,
      ...waiting('wait until a janitor worker has run the pass, and print its report', '600'),
    },
    lifetime: 'one-shot',
    run: ({ options }, app) =>
      jobCommand(app, janitorJob, { ...options, timeoutSeconds: options.timeout }),
  }),
  defineCommand({
    name: 'usage-check',
    summary:
      'one usage check now: which community images servers and volumes use, which are newly unused, which go to the reaper, and why the others stay',
    options: {
      series: {
        ...series,
        help: "only these series' community images (every server and volume is scanned all the same)",
      },
      target,
      ...waiting(
        'wait until a usage-checker worker has run the check, and print what it found',
        '600',
      ),
    },
    lifetime: 'one-shot',
    run: ({ options }, app) =>
      jobCommand(app, usageCheckJob, { ...options, timeoutSeconds: options.timeout }),
  }),
  defineCommand({
    name: 'events',
    summary: 'the latest lifecycle events, newest last',
    options: {
      series,
      limit: {
        kind: 'value',
        value: 'N',
        help: 'how many events',
        default: '50',
        parse: positiveInteger,
      },
      format: formatOption,
      json: listingJson,
    },
    lifetime: 'one-shot',
    run: ({ options }, app) => eventsCommand(app, { ...options, format: chosenFormat(options) }),
  }),
  defineCommand({
    name: 'worker',
    summary: 'consume the queues of these workers until SIGTERM, then drain',
    positionals: {
      synopsis: 'NAME...',
      help: `one or more of ${WORKER_NAMES.join(', ')}`,
      parse: parseWorkerNames,
    },
    options: {},
    lifetime: 'long-running',
    run: ({ args }, app) => runWorkers(app, args, { controlPlane: false }),
  }),
  defineCommand({
    name: 'control-plane',
    summary: 'Bull Board, the API, the status page, /healthz, /readyz, /metrics',
    options: {},
    lifetime: 'long-running',
    run: (_, app) => runWorkers(app, [], { controlPlane: true }),
  }),
  defineCommand({
    name: 'all',
    summary: 'every worker, the schedules and the control plane in one process',
    options: {},
    lifetime: 'long-running',
    run: (_, app) => runWorkers(app, ['all'], { controlPlane: true }),
  }),
];

/**
 * The release (one version for the whole workspace, test/infra/release.test.ts keeps every
 * package.json equal), and the commit the container image was built from: its Dockerfile
 * passes the REVISION build argument on as IMAGECYCLE_REVISION.
 */
export function versionOf(env: NodeJS.ProcessEnv): string {
  const revision = env.IMAGECYCLE_REVISION?.trim();
  return revision ? `${cliPackage.version} (revision ${revision})` : cliPackage.version;
}

export const IMAGECYCLE: Program = {
  name: 'imagecycle',
  about: "keeps a cloud's public images fresh, and removes old ones nobody uses",
  version: versionOf(process.env),
  settings:
    'Settings come from the environment (REDIS_URL, IMAGECYCLE_*, LOG_LEVEL) and the cloud from clouds.yaml / OS_CLOUD; the README lists them all.',
  exitCodes:
    'Exit codes: 0 ok, 1 something failed or was rejected, 2 usage, 3 configuration, 4 a dependency unreachable or a wait timed out.',
  commands: COMMANDS,
};
