export { upload, type SmokeVerdict, type UploadDeps, type UploadResult } from './upload.ts';
export { UploadRejected } from './errors.ts';
export { StagingDamaged, StagingRefused, stagedArtifact } from './staged-artifact.ts';
export { candidateImage, candidateName, type Artifact } from './candidate.ts';
export { smokeTest, type SmokeTester } from './smoke-test.ts';
export { FollowAbandoned, StagedFollower } from './follow-staged.ts';
