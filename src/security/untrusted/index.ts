export { DEFAULT_THRESHOLD, type Detection, detectInjection, FAMILIES, type Family, type Span } from './detect.js';
export { wrapUntrusted } from './wrap.js';
