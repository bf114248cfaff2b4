export * from './bytes.js';
export * from './canonical-json.js';
export * from './chain.js';
export * from './merkle/index.js';
export * from './note/index.js';
export * from './event/index.js';
export * from './privacy/index.js';
