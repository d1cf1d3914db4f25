export { stageRegistrations, type PipelineDeps } from './stages.ts';
export { pendingJobs, waitUntilIdle } from './drain.ts';
