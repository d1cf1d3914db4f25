export { reap, usersOf, type ReapDeps, type ReapOutcome } from './reap.ts';
