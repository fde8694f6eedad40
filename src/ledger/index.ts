export * from './money.js';
export * from './prices.js';
export * from './reserve.js';
export * from './rollups.js';
export * from './headroom.js';
