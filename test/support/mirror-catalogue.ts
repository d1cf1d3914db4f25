// The default catalogue, pointed at the local upstream mirror: every feed URL under the
// mirror, the mirror's test keys written as the keyrings the catalogue names, and each
// pinned fingerprint set to the matching test key. The mirror serves plain http on
// 127.0.0.1, which a catalogue must opt into per feed (insecureHttp, with a reason): the
// mirror's catalogue is the packaged one with that opt-in added to every feed, written
// beside the keyrings and named by IMAGECYCLE_CATALOGUE for the processes a test starts.
// Every series is switched on (the mirror serves the end-of-life and Windows ones too).
// Nothing else about the catalogue changes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import {
  type Catalogue,
  DEFAULT_CATALOGUE_PATH,
  loadCatalogue,
} from '@imagecycle/series-catalogue';
import type { Mirror } from '../mirror/index.ts';

const KEYRING_FILES = [
  'ubuntu',
  'centos',
  'centos7',
  'almalinux',
  'rocky',
  'fedora',
  'flatcar',
  'windows-builds',
];

/** The opt-in every feed of a mirror catalogue carries: the test mirror serves only http. */
export const MIRROR_HTTP_OPT_IN = {
  reason: 'the local test mirror serves plain http on 127.0.0.1',
} as const;

/** The packaged catalogue's text with the mirror's http opt-in added to every feed. */
export function mirrorCatalogueText(source = readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8')): string {
  const doc = parseDocument(source);
  const series = doc.get('series');
  if (!isMap(series)) throw new Error(`${DEFAULT_CATALOGUE_PATH}: no series mapping`);
  for (const pair of series.items) {
    const feed = isMap(pair.value) ? pair.value.get('feed') : undefined;
    if (isMap(feed)) feed.set('insecureHttp', doc.createNode({ ...MIRROR_HTTP_OPT_IN }));
  }
  return doc.toString();
}

export function mirrorCatalogueVars(
  mirror: Mirror,
  keyringDir = mkdtempSync(join(tmpdir(), 'keys-')),
): Record<string, string> {
  for (const name of KEYRING_FILES) writeFileSync(join(keyringDir, `${name}.asc`), mirror.keyring);
  const catalogueFile = join(keyringDir, 'catalogue.yaml');
  writeFileSync(catalogueFile, mirrorCatalogueText());
  const fpr = (name: keyof Mirror['keys']) => mirror.keys[name].fingerprint;
  return {
    IMAGECYCLE_CATALOGUE: catalogueFile,
    UPSTREAM_MIRROR: mirror.baseUrl,
    END_OF_LIFE_SERIES_ENABLED: 'true',
    WINDOWS_BUILDS_ENABLED: 'true',
    KEYRING_DIR: keyringDir,
    UBUNTU_KEY_FPR: fpr('ubuntu-images'),
    UBUNTU_STREAMS_KEY_FPR: fpr('ubuntu-streams'),
    CENTOS_KEY_FPR: fpr('centos'),
    CENTOS7_KEY_FPR: fpr('centos'),
    ALMALINUX_KEY_FPR: fpr('almalinux'),
    // Rocky publishes no signature on the mirror (policy optional); any key of the ring will do.
    ROCKY_KEY_FPR: fpr('centos'),
    FEDORA_KEY_FPR: fpr('fedora'),
    FEDORA_PREVIOUS_KEY_FPR: fpr('fedora'),
    FLATCAR_KEY_FPR: fpr('flatcar'),
    WINDOWS_BUILD_KEY_FPR: fpr('imagecycle-builds'),
    // every candidate is smoke-booted, as in production: in the service account's own
    // project, with the local stack's flavor that fits every series (Windows: 4096 MiB, 40 GiB)
    SMOKE_TEST_PROJECT: process.env.OS_CLOUD ?? 'imagecycle',
    SMOKE_TEST_FLAVOR: process.env.IMAGECYCLE_TEST_SMOKE_FLAVOR ?? 'm1.large',
  };
}

export function loadMirrorCatalogue(mirror: Mirror): Promise<Catalogue> {
  const vars = mirrorCatalogueVars(mirror);
  return loadCatalogue(vars.IMAGECYCLE_CATALOGUE ?? DEFAULT_CATALOGUE_PATH, { vars });
}
