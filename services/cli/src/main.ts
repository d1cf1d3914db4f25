#!/usr/bin/env node
// imagecycle: the one command operators run. See `imagecycle --help`.
import { App, loadSettings, RedisUnreachableError, SettingsError } from '@imagecycle/composition';
import { ControlPlaneConfigError } from '@imagecycle/control-plane';
import { createLogger } from '@imagecycle/observability';
import { CloudConfigError, OpenStackConnectionError } from '@imagecycle/openstack';
import {
  CatalogueError,
  UnknownSeriesError,
  UnknownTargetError,
} from '@imagecycle/series-catalogue';
import { parseCommandLine } from './command-line.ts';
import { IMAGECYCLE } from './commands/table.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** How long a one-shot command waits for Redis to answer before giving up (exit 4). */
const REDIS_WAIT_MS = 3000;

async function main(argv: string[]): Promise<number> {
  const call = parseCommandLine(IMAGECYCLE, argv);
  if (call.help !== undefined) {
    process.stdout.write(call.help);
    return call.code;
  }
  if (call.needs === 'nothing') return await call.run();
  const settings = loadSettings();
  const logger = createLogger({
    name: `imagecycle-${call.command.name}`,
    level: settings.LOG_LEVEL,
  });
  // a one-shot command checks Redis itself and says so in one line (exit 4)
  const app = await App.create({ settings, logger, logRedisOutages: !call.stopAfterwards });
  if (call.stopAfterwards)
    try {
      await app.requireRedis(REDIS_WAIT_MS);
    } catch (error) {
      app.redis.disconnect();
      throw error;
    }
  try {
    return await call.run(app);
  } finally {
    if (call.stopAfterwards) await app.stop();
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.code;
  if (error instanceof UnknownSeriesError || error instanceof UnknownTargetError) return EXIT.usage;
  if (
    error instanceof SettingsError ||
    error instanceof CatalogueError ||
    error instanceof ControlPlaneConfigError ||
    error instanceof CloudConfigError
  )
    return EXIT.config;
  if (error instanceof RedisUnreachableError || error instanceof OpenStackConnectionError)
    return EXIT.unavailable;
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
