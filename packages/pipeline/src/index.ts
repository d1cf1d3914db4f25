export { stageRegistrations, type PipelineDeps } from './stages.ts';
export { waitUntilIdle } from './drain.ts';
