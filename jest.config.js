/**
 * Two projects: infrastructure (every phase synthesized once, checked offline) and services
 * (against real PostgreSQL, Kafka, Redis and FerretDB servers, started when they are not running).
 */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  // Jest 30 reads the timeout only at the top level: synthesis and real servers need minutes, not 5 s.
  testTimeout: 300000,
  projects: [
    {
      displayName: 'infra',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/infra'],
      transform: { '^.+\\.tsx?$': swc },
      globalSetup: '<rootDir>/test/infra/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/infra/support/global-teardown.ts',
    },
    {
      displayName: 'services',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/services'],
      transform: { '^.+\\.tsx?$': swc },
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
