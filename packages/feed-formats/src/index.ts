export { FeedError } from './errors.ts';
export type { ParsedRelease, SignatureRef } from './types.ts';
export { decodeDocument, MAX_DOCUMENT_BYTES } from './text.ts';
export {
  parseSimplestreamsIndex,
  parseSimplestreamsProducts,
  type SimplestreamsOptions,
} from './simplestreams.ts';
export {
  parseDirectoryListing,
  parseDebianManifest,
  crossCheckSha512Sums,
  type DebianOptions,
} from './debian.ts';
export {
  parseChecksumEntries,
  parseChecksumList,
  anchored,
  FILE_PATTERNS,
  type ChecksumEntry,
  type ChecksumListOptions,
} from './checksum-list.ts';
export { parseCoreosStream } from './coreos.ts';
export {
  parseFlatcarVersion,
  flatcarVersion,
  parseFlatcarDigests,
  flatcarRelease,
  flatcarImageUrl,
  type FlatcarOptions,
} from './flatcar.ts';
export {
  parseBuildManifest,
  buildManifestSchema,
  BUILD_MANIFEST_FORMAT,
} from './build-manifest.ts';
