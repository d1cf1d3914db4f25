// The local upstream mirror: `startMirror()` and its types. See README.md.
export { startMirror, Mirror, type MirrorOptions, type Trust } from './src/mirror.ts';
export { DISTROS, KEY_NAMES } from './src/types.ts';
export type {
  Artifact,
  Distro,
  KeyName,
  PublicKeyInfo,
  PublishedRelease,
  PublishOptions,
  SignatureRef,
  DiskFormat,
} from './src/types.ts';
export type { FaultHandle, FaultKind, PathTarget } from './src/faults.ts';
export type { PathStats, RequestCounters, RequestLogEntry } from './src/stats.ts';
export type { Compression, CraftedDisk, VmdkCreateType } from './src/images.ts';
export {
  makeQcow2,
  makeRaw,
  makeVmdk,
  craftedDisk,
  prng as prngBytes,
  CRAFTED_DISKS,
  compress,
  decompress,
  MiB,
} from './src/images.ts';
export { BUILD_MANIFEST_FORMAT } from './src/upstreams/windows.ts';
