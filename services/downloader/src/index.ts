/** Streams a release's pinned URL into staging, resuming with HTTP Range, hashing while strea... */
export const serviceName = 'downloader';
