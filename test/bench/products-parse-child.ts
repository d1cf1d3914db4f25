// One read of a products document in a process of its own: `parse` runs what the
// feed-watcher runs (decodeDocument, then parseSimplestreamsProducts), `baseline` only
// decodes and JSON.parses the same bytes. Prints wall time, peak RSS and the newest version
// as one JSON line.
import { readFileSync } from 'node:fs';
import {
  decodeDocument,
  parseSimplestreamsProducts,
} from '../../packages/feed-formats/src/index.ts'; // the test workspace does not depend on it (it depends on the test workspace)

const [mode, file, productId] = process.argv.slice(2);
if (!file || !productId || (mode !== 'parse' && mode !== 'baseline'))
  throw new Error('usage: products-parse-child.ts parse|baseline <file> <product id>');
const bytes = readFileSync(file);
const productsUrl = 'https://cloud-images.ubuntu.com/releases/streams/v1/products.json';
const t0 = performance.now();
let newest: string | undefined;
if (mode === 'parse') {
  const text = decodeDocument('ubuntu-simplestreams', productsUrl, bytes);
  newest = parseSimplestreamsProducts(text, {
    productsUrl,
    productId,
    releasesUrl: 'https://cloud-images.ubuntu.com/releases/',
  })[0]?.version;
} else {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as {
    products: Record<string, { versions: Record<string, unknown> }>;
  };
  newest = Object.keys(doc.products[productId]?.versions ?? {})
    .sort()
    .at(-1);
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, newest }));
