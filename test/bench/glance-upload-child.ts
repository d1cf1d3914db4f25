// One streamed upload through the client, in a process of its own; prints its wall time
// and the process's peak RSS as one JSON line.
import { connect } from '../support/clouds.ts';

const [imageId, file] = process.argv.slice(2);
if (!imageId || !file) throw new Error('usage: glance-upload-child.ts <image id> <file>');
const client = connect('service');
await client.session.token(); // authentication is not part of the upload being measured
const t0 = performance.now();
await client.glance.uploadImageData(imageId, { path: file });
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
