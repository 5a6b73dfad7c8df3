export * from './axess.error.js';
export * from './axess-options.error.js';
export * from './invalid-identifier.error.js';
export * from './session-store.error.js';
