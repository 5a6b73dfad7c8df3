export * from './manual.clock.js';
export * from './valkey-test-server.js';
