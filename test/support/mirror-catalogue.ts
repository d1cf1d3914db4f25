// The default catalogue, pointed at the local upstream mirror: every feed URL under the
// mirror, the mirror's test keys written as the keyrings the catalogue names, and each
// pinned fingerprint set to the matching test key. Nothing else about the catalogue changes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export function mirrorCatalogueVars(
  mirror: Mirror,
  keyringDir = mkdtempSync(join(tmpdir(), 'keys-')),
): Record<string, string> {
  for (const name of KEYRING_FILES) writeFileSync(join(keyringDir, `${name}.asc`), mirror.keyring);
  const fpr = (name: keyof Mirror['keys']) => mirror.keys[name].fingerprint;
  return {
    UPSTREAM_MIRROR: mirror.baseUrl,
    KEYRING_DIR: keyringDir,
    UBUNTU_KEY_FPR: fpr('ubuntu-images'),
    CENTOS_KEY_FPR: fpr('centos'),
    CENTOS7_KEY_FPR: fpr('centos'),
    ALMALINUX_KEY_FPR: fpr('almalinux'),
    // Rocky publishes no signature on the mirror (policy optional); any key of the ring will do.
    ROCKY_KEY_FPR: fpr('centos'),
    FEDORA_KEY_FPR: fpr('fedora'),
    FLATCAR_KEY_FPR: fpr('flatcar'),
    WINDOWS_BUILD_KEY_FPR: fpr('imagecycle-builds'),
  };
}

export function loadMirrorCatalogue(mirror: Mirror): Promise<Catalogue> {
  return loadCatalogue(DEFAULT_CATALOGUE_PATH, { vars: mirrorCatalogueVars(mirror) });
}
