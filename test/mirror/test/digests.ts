// Independent re-implementations of digest spellings, for the tests.
import { createHash } from 'node:crypto';

/** `sha512:` + base64 of the raw digest with the `=` padding stripped (Debian's manifest annotation). */
export function debianDigestOf(data: Uint8Array): string {
  return 'sha512:' + createHash('sha512').update(data).digest('base64').replace(/=+$/, '');
}
