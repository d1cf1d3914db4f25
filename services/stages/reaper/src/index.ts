export { reap, usageHold, type ReapDeps, type ReapOutcome } from './reap.ts';
