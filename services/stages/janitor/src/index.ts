export { tidy, type JanitorDeps, type JanitorReport } from './tidy.ts';
