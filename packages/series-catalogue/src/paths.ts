import { fileURLToPath } from 'node:url';

/** The catalogue shipped with the package (packages/series-catalogue/catalogue.yaml). */
export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../catalogue.yaml', import.meta.url));
/** The committed JSON Schema. */
export const JSON_SCHEMA_PATH = fileURLToPath(
  new URL('../schema/catalogue.schema.json', import.meta.url),
);
