#!/usr/bin/env node
// imagecycle: the one command operators run. See `imagecycle --help`.
import { parseArgs } from 'node:util';
import { App, loadSettings, SettingsError } from '@imagecycle/composition';
import { LIFECYCLE_STATES } from '@imagecycle/contracts';
import { ControlPlaneConfigError } from '@imagecycle/control-plane';
import { createLogger } from '@imagecycle/observability';
import { CatalogueError, UnknownSeriesError, validateCommand } from '@imagecycle/series-catalogue';
import { runCommand } from './commands/run.ts';
import { eventsCommand, imagesCommand, planCommand, statusCommand } from './commands/views.ts';
import { parseWorkerNames, runWorkers } from './commands/worker.ts';
import { CliError, EXIT } from './exit-codes.ts';

const HELP = `imagecycle - keeps a cloud's public images fresh, and removes old ones nobody uses

Usage: imagecycle <command> [options]

Commands:
  validate [FILE]          check the series catalogue (default: the packaged one); every problem
                           as file:line:column path: rule
  status [--series ID]...  each series: Latest, newest upstream, the last check and how it ended,
                           community images and the next reap date, images in flight
  images [--series ID]... [--state STATE]
                           managed images, newest first, each with why it is still here
                           (STATE: candidate, verified, latest, community, retiring)
  plan [--series ID]...    what a run would change now - downloads, renames, usage records,
                           reaps - reading the feeds, Glance, Nova and Cinder; changes nothing
  run [--series ID]...     check the series upstream now (all when none named)
        --wait             follow the pipeline until it is at rest, with progress bars
        --timeout SECONDS  give up waiting after this long (default 3600)
  events [--series ID] [--limit N]   the latest lifecycle events, newest last
  worker NAME...           consume the queues of these workers until SIGTERM:
                           feed-watcher, downloader, uploader, renamer, usage-checker, reaper
  control-plane            Bull Board, the API, the status page, /healthz, /readyz, /metrics
  all                      every worker, the schedules and the control plane in one process

Options:
  --json                   machine-readable output on stdout
  -h, --help               this text

Settings come from the environment (REDIS_URL, IMAGECYCLE_*, LOG_LEVEL) and the cloud from
clouds.yaml / OS_CLOUD; the README lists them all.

Exit codes: 0 ok, 1 something failed or was rejected, 2 usage, 3 configuration,
            4 a dependency unreachable or a wait timed out.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      series: { type: 'string', multiple: true },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      limit: { type: 'string' },
      state: { type: 'string' },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? EXIT.ok : EXIT.usage;
  }
  if (command === 'validate') {
    const code = await validateCommand(values.json ? [...args, '--json'] : args, process.env);
    return code === 0 ? EXIT.ok : code === 1 ? EXIT.config : EXIT.config;
  }
  const known = ['run', 'worker', 'all', 'control-plane', 'status', 'images', 'plan', 'events'];
  if (!known.includes(command))
    throw new CliError(EXIT.usage, `unknown command "${command}"; see imagecycle --help`);
  const workers = command === 'worker' ? parseWorkerNames(args) : undefined;
  const timeoutSeconds = Number(values.timeout ?? 3600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new CliError(
      EXIT.usage,
      `--timeout: "${values.timeout}" is not a positive number of seconds`,
    );

  if (values.state && !(LIFECYCLE_STATES as readonly string[]).includes(values.state))
    throw new CliError(
      EXIT.usage,
      `--state: "${values.state}" is not one of ${LIFECYCLE_STATES.join(', ')}`,
    );

  const settings = loadSettings();
  const logger = createLogger({ name: `imagecycle-${command}`, level: settings.LOG_LEVEL });
  const app = await App.create({ settings, logger });
  try {
    if (command === 'run')
      return await runCommand(app, {
        series: values.series ?? [],
        wait: values.wait ?? false,
        timeoutSeconds,
        json: values.json ?? false,
      });
    const json = values.json ?? false;
    const series = values.series ?? [];
    if (command === 'status') return await statusCommand(app, { json, series });
    if (command === 'images')
      return await imagesCommand(app, { json, series, state: values.state });
    if (command === 'plan') return await planCommand(app, { json, series });
    if (command === 'events') {
      const limit = Number(values.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError(EXIT.usage, `--limit: "${values.limit}" is not a positive integer`);
      return await eventsCommand(app, {
        json: values.json ?? false,
        series: values.series?.[0],
        limit,
      });
    }
    if (command === 'control-plane') return await runWorkers(app, [], { controlPlane: true });
    return await runWorkers(app, workers ?? ['all'], { controlPlane: command === 'all' });
  } finally {
    if (['run', 'status', 'images', 'plan', 'events'].includes(command)) await app.stop();
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.code;
  if (error instanceof UnknownSeriesError) return EXIT.usage;
  if (
    error instanceof SettingsError ||
    error instanceof CatalogueError ||
    error instanceof ControlPlaneConfigError
  )
    return EXIT.config;
  if (
    error instanceof TypeError &&
    'code' in error &&
    String(error.code).startsWith('ERR_PARSE_ARGS')
  )
    return EXIT.usage;
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT')
    return EXIT.unavailable;
  return EXIT.failed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`imagecycle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(exitCodeOf(error));
  },
);
