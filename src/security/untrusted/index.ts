export { DEFAULT_THRESHOLD, type Detection, detectInjection, FAMILIES, type Family, type Span } from './detect.js';
export { applyPolicy, DEFAULT_POLICY, DEFAULT_SCAN_TIMEOUT_MS, INJECTION_ACTIONS, type InjectionAction, type InjectionPolicy, presentToolResult, type ResultScan, scanResult, warningFor } from './present.js';
export { wrapUntrusted } from './wrap.js';
