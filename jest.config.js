/**
 * Two jest projects over one tree: `unit` needs no Valkey (no global setup: `npm run test:unit`
 * runs it alone, in seconds), `integration` is everything else, against a private valkey-server
 * its global setup starts. `npm test` runs both. Jest runs the TypeScript sources through SWC
 * (decorators + metadata, see .swcrc).
 */
const UNIT = [
  '<rootDir>/test/unit/**/*.spec.ts',
  '<rootDir>/test/architecture/**/*.spec.ts',
  '<rootDir>/test/property/options.property.spec.ts',
  '<rootDir>/test/nest12/esm-sources.spec.ts',
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: {
    '^@axess/nestjs-session$': '<rootDir>/src/index.ts',
    '^@axess/nestjs-session/testing$': '<rootDir>/src/testing/index.ts',
    '^@axess/nestjs-session/ws$': '<rootDir>/src/ws/index.ts',
    '^@axess/nestjs-session/terminus$': '<rootDir>/src/terminus/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

module.exports = {
  // Global options (jest reads them at the top level, not per project).
  maxWorkers: 2,
  testTimeout: 30000,
  verbose: false,
  projects: [
    { ...shared, displayName: 'unit', testMatch: UNIT },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      // The unit files, as paths (testPathIgnorePatterns takes regular expressions, not globs).
      testPathIgnorePatterns: [
        '/node_modules/',
        '/test/unit/',
        '/test/architecture/',
        '/test/property/options\\.property\\.spec\\.ts$',
        '/test/nest12/esm-sources\\.spec\\.ts$',
      ],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
