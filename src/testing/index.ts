export * from './manual.clock.js';
export * from './valkey-test-server.js';
export * from './valkey-cluster.js';
export * from './valkey-sentinel.js';
