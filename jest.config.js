/** Unit tests run first and fast; integration tests share one Asterisk, so everything runs in band. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Node 20 loads these ESM-only dependencies with require(esm); Jest's loader needs them compiled.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|cookie|set-cookie-parser)/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
