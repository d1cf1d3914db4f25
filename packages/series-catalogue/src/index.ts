export {
  parseCatalogue,
  loadCatalogue,
  catalogueLocator,
  BUILT_IN_VARS,
  type CatalogueOptions,
} from './parse.ts';
export { checkKeyrings } from './keyrings.ts';
export { CatalogueError, formatIssue, type CatalogueIssue } from './errors.ts';
export { seriesStatus } from './status.ts';
export {
  findSeries,
  selectSeries,
  selectTargets,
  UnknownSeriesError,
  UnknownTargetError,
} from './select.ts';
export { substituteVars, type Vars, type Substitution } from './vars.ts';
export { anchorPattern } from './resolve.ts';
export { feedOrigins, urlRefusal } from './transport.ts';
export { authenticity, type Authenticity } from './authenticated.ts';
export { catalogueJsonSchema, catalogueJsonSchemaText } from './json-schema.ts';
export {
  catalogueSchema,
  seriesSchema,
  feedSchema,
  signatureSchema,
  insecureHttpSchema,
  FEED_URL_KEYS,
  propertiesSchema,
  FEED_KINDS,
  BOOT_FAMILIES,
  SERIES_ID_PATTERN,
  type CatalogueInput,
} from './schema.ts';
export { DEFAULT_CATALOGUE_PATH, PACKAGED_KEYRING_DIR } from './paths.ts';
export { bootFamily, type BootFamily } from './smoke-test.ts';
export type * from './types.ts';
export { validateCommand } from './cli/validate.ts';
