export {
  SIGNATURE_FAILURE_REASONS,
  SignatureError,
  TrustConfigError,
  isSignatureError,
  type SignatureFailureReason,
} from './errors.ts';
export {
  ARMORED_SIGNATURE_HEADER,
  CLEARSIGN_HEADER,
  sniffSignature,
  type SignatureKind,
} from './sniff.ts';
export { KeyringFiles } from './keyring-files.ts';
export {
  keyringFingerprints,
  loadTrust,
  normalizeFingerprint,
  readKeyring,
  type LoadTrustOptions,
  type TrustAnchor,
} from './trust.ts';
export {
  verifyClearsigned,
  verifyDetached,
  verifyDetachedFile,
  type VerifiedSignature,
  type VerifyClearsignedOptions,
  type VerifyDetachedOptions,
} from './verify.ts';
