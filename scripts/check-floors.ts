// `./dev test` runs this before the tests: every arrow of the workspace points down (see
// floors.ts). Prints each violation as file:line: what is wrong; exits 1 when there is one.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFloors } from './floors.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const violations = checkFloors(root);
for (const { where, message } of violations) process.stderr.write(`${where}: ${message}\n`);
if (violations.length > 0) {
  process.stderr.write(`floors: ${violations.length} arrow(s) point the wrong way\n`);
  process.exit(1);
}
process.stdout.write('floors: every import points down\n');
