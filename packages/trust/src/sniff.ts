export type SignatureKind = 'clearsigned' | 'detached-armored' | 'detached-binary';

export const CLEARSIGN_HEADER = '-----BEGIN PGP SIGNED MESSAGE-----';
export const ARMORED_SIGNATURE_HEADER = '-----BEGIN PGP SIGNATURE-----';

const SNIFF_BYTES = 256;

/**
 * Tells the three shapes upstream signature files come in apart, by their first
 * bytes (leading whitespace and a UTF-8 BOM are skipped). Anything that is not
 * an ASCII-armor header is treated as a binary OpenPGP signature; whether it
 * really is one is for the verifier to decide.
 */
export function sniffSignature(bytes: Uint8Array): SignatureKind {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, SNIFF_BYTES));
  const text = head.replace(/^(?:\u00ef\u00bb\u00bf)?\s*/u, '');
  if (text.startsWith(CLEARSIGN_HEADER)) return 'clearsigned';
  if (text.startsWith(ARMORED_SIGNATURE_HEADER)) return 'detached-armored';
  return 'detached-binary';
}
