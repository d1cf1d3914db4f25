export { download, type DownloadDeps, type DownloadContext } from './download.ts';
export { DownloadRejected, type DownloadRejectReason } from './errors.ts';
export {
  diskBytes,
  inspectDisk,
  inspectDiskFile,
  type DiskBytes,
  type DiskFormat,
  type SniffedDisk,
} from './disk-format.ts';
export { stagingPaths, cleanStaging, verifiedArtifact, type StagingPaths } from './staging.ts';
export { fetchFile, UrlGone } from './fetch-file.ts';
export { decompress } from './decompress.ts';
export { qcow2ToRaw, ConversionError, type Converted } from './qcow2-to-raw.ts';
export { WrittenFact, readWritten } from './written.ts';
