/** Two projects: infrastructure (synth-only, no servers) and services (real servers). */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  projects: [
    {
      displayName: 'infra',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/infra'],
      transform: { '^.+\\.tsx?$': swc },
      globalSetup: '<rootDir>/test/infra/support/global-setup.ts',
      testTimeout: 300000,
    },
    {
      displayName: 'services',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/services'],
      transform: { '^.+\\.tsx?$': swc },
      testTimeout: 120000,
    },
  ],
};
