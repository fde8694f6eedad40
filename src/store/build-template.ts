/**
 * `node dist/src/store/build-template.js`: builds the embedded database's template
 * (template.ts) unless it is there; run by `npm run build` and `npm test`.
 */
import { buildTemplate } from './template.js';

const began = performance.now();
const { file, built } = await buildTemplate();
if (built) console.log(`built the embedded database template ${file} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
