import { fileURLToPath } from 'node:url';

/** The catalogue shipped with the package (packages/series-catalogue/catalogue.yaml). */
export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../catalogue.yaml', import.meta.url));
/** The committed JSON Schema. */
export const JSON_SCHEMA_PATH = fileURLToPath(
  new URL('../schema/catalogue.schema.json', import.meta.url),
);
/**
 * The upstreams' public signing keys shipped with the package (keys/, one armored keyring per
 * upstream; keys/SOURCES.md says where each was published). `KEYRING_DIR` defaults to it.
 */
export const PACKAGED_KEYRING_DIR = fileURLToPath(new URL('../keys', import.meta.url));
