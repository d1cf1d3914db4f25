// The local stack's two regions as tests of several targets use them (IMAGECYCLE_STACK_REGIONS=2):
// the stack's clouds.yaml, whose `-r2` entries reach RegionTwo, plus the entries a test adds
// (a reading account whose entry names both regions, an entry behind a fault proxy), written
// to a file of the test's own.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cloudNames } from './clouds.ts';

export type CloudEntries = Record<string, Record<string, unknown>>;

/**
 * The stack's clouds.yaml entries; fails, saying how to start region two, when it has no
 * RegionTwo entries for the publishing and the reading account.
 */
export function twoRegionClouds(): CloudEntries {
  const file = process.env.OS_CLIENT_CONFIG_FILE ?? '';
  const { clouds } = parse(readFileSync(file, 'utf8')) as { clouds: CloudEntries };
  for (const account of [cloudNames.publish, cloudNames.usage])
    if (!clouds[`${account}-r2`])
      throw new Error(
        `${file} has no ${account}-r2 entry: start the stack with region two (IMAGECYCLE_STACK_REGIONS=2 ./dev stack up)`,
      );
  return clouds;
}

/**
 * The entry `name` as one of a cloud with both regions (`regions: [RegionOne, RegionTwo]`
 * instead of its `region_name`): an account that reads both regions' servers and volumes.
 */
export function inBothRegions(clouds: CloudEntries, name: string): Record<string, unknown> {
  const { region_name: _own, ...entry } = clouds[name] ?? {};
  return { ...entry, regions: ['RegionOne', 'RegionTwo'] };
}

/** Writes the entries as `clouds.yaml` in `dir`; returns its path. */
export function writeClouds(dir: string, clouds: CloudEntries, file = 'clouds.yaml'): string {
  const path = join(dir, file);
  writeFileSync(path, stringify({ clouds }));
  return path;
}
