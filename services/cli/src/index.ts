export { EXIT, CliError } from './exit-codes.ts';
export { renderBar } from './progress.ts';
