// What is authenticated for a series, from its feed kind and signature policy: the image's
// bytes (its checksum under a signature) and the release's version and URL (a signature over
// a document that carries them). Shown by `imagecycle status` and described in the README.
import type { Series } from './types.ts';

export interface Authenticity {
  /** The bytes: `signed` (a verified signature covers their checksum), or `checksum only`. */
  bytes: 'signed' | 'checksum only';
  /** The version and URL: `signed`, or `unsigned` (read from a document no one signs). */
  version: 'signed' | 'unsigned';
  /** One line for people: what is signed, by what, and what is not. */
  summary: string;
}

export function authenticity(series: Series): Authenticity {
  const policy = series.signature.policy;
  const signedIf = (what: string): string =>
    policy === 'required' ? what : `${what} (when published: policy optional)`;
  const none = (why: string): Authenticity => ({
    bytes: 'checksum only',
    version: 'unsigned',
    summary: why,
  });
  if (policy === 'none') {
    return none(
      series.feed.kind === 'debian'
        ? 'nothing: Debian signs no cloud image, checksum list or manifest; bytes checked against SHA512SUMS and the manifest over https only'
        : 'nothing: signature policy none; bytes checked against the feed checksum over https only',
    );
  }
  switch (series.feed.kind) {
    case 'ubuntu-simplestreams':
      return {
        bytes: 'signed',
        version: 'signed',
        summary: signedIf(
          'version, URL and sha256 by the clearsigned streams (.sjson); sha256 again by SHA256SUMS.gpg',
        ),
      };
    case 'checksum-list':
      return {
        bytes: 'signed',
        version: 'signed',
        summary: signedIf(
          'version and sha256 by the clearsigned checksum list (.asc), whose file names carry the version',
        ),
      };
    case 'fedora-coreos':
      return {
        bytes: 'signed',
        version: 'signed',
        summary: signedIf(
          "the image file by its detached .sig (verified on download); the stream's version must be the one the signed file name carries",
        ),
      };
    case 'flatcar':
      return {
        bytes: 'signed',
        version: 'unsigned',
        summary: signedIf(
          'sha512 by the clearsigned .DIGESTS.asc; the version comes from the unsigned version.txt (the signed DIGESTS name the file without its version): only the no-rollback and no-future rules guard it',
        ),
      };
    case 'build-manifest':
      return {
        bytes: 'signed',
        version: 'signed',
        summary: signedIf(
          'version, URL and checksum by the detached signature over the manifest (.asc)',
        ),
      };
    case 'debian':
      return none('nothing: Debian signs nothing');
  }
}
