// Each series' smoke test, resolved: `defaults.smokeTest` (one project, one flavor, one
// console-log pattern per boot family) under the series' own `smokeTest`, the pattern picked
// by the family its os_distro belongs to. Pure: parse.ts reports the problems with their
// place in the file, resolve.ts keeps the results.
import { BOOT_FAMILIES, type CatalogueOutput } from './schema.ts';
import type { GlanceProperties, SmokeTest } from './types.ts';

export type BootFamily = (typeof BOOT_FAMILIES)[number];

/** os_distro values (the SCS image metadata standard's) whose images boot with cloud-init. */
const CLOUD_INIT_DISTROS = new Set([
  'ubuntu',
  'debian',
  'centos',
  'almalinux',
  'rocky',
  'rhel',
  'fedora',
  'opensuse',
  'sles',
  'oraclelinux',
  'alpine',
  'arch',
]);
/** Ignition configures the guest; Afterburn (Flatcar: coreos-metadata) reads the metadata. */
const IGNITION_DISTROS = new Set(['fedora-coreos', 'flatcar', 'rhcos']);

/** The boot family an image's properties name, undefined when they do not tell. */
export function bootFamily(properties: GlanceProperties): BootFamily | undefined {
  const distro = properties.os_distro;
  if (properties.os_type === 'windows' || distro === 'windows') return 'cloudbase-init';
  if (distro === undefined) return undefined;
  if (IGNITION_DISTROS.has(distro)) return 'ignition';
  if (CLOUD_INIT_DISTROS.has(distro)) return 'cloud-init';
  return undefined;
}

type Defaults = CatalogueOutput['defaults'];
type Own = CatalogueOutput['series'][string]['smokeTest'];

export interface SmokeTestProblem {
  /** path inside the document */
  path: (string | number)[];
  message: string;
}

/** The series' smoke test (undefined: none), or why it cannot be resolved. */
export function resolveSmokeTest(
  id: string,
  defaults: Defaults,
  properties: GlanceProperties,
  own: Own,
): { smokeTest?: SmokeTest; problem?: SmokeTestProblem } {
  if (own === false) return {};
  const base = defaults.smokeTest;
  if (base === undefined && own === undefined) return {};
  // Neither named: the publishing account's own project, and the smallest flavor that fits
  // the series (the uploader asks Nova), so the packaged catalogue works with no settings.
  const project = own?.project ?? base?.project;
  const flavor = own?.flavor ?? base?.flavor;
  const family = own?.family ?? bootFamily(properties);
  let consoleLogPattern = own?.consoleLogPattern;
  if (consoleLogPattern === undefined && base !== undefined) {
    if (family === undefined) {
      return {
        problem: {
          path: ['series', id, 'properties', 'os_distro'],
          message: `os_distro ${properties.os_distro === undefined ? '(none)' : `"${properties.os_distro}"`} names no boot family the smoke test knows: set smokeTest.family (${BOOT_FAMILIES.join(', ')}), smokeTest.consoleLogPattern, or smokeTest: false`,
        },
      };
    }
    consoleLogPattern = base.consoleLogPatterns[family];
    if (consoleLogPattern === undefined) {
      return {
        problem: {
          path: ['defaults', 'smokeTest', 'consoleLogPatterns'],
          message: `no console-log pattern for the ${family} family, which series ${id} boots with: add defaults.smokeTest.consoleLogPatterns.${family}`,
        },
      };
    }
  }
  return {
    smokeTest: {
      ...(project !== undefined ? { project } : {}),
      ...(flavor !== undefined ? { flavor } : {}),
      timeoutSeconds: own?.timeoutSeconds ?? base?.timeoutSeconds ?? 600,
      ...(family !== undefined ? { family } : {}),
      ...(consoleLogPattern !== undefined ? { consoleLogPattern } : {}),
    },
  };
}
