import type { Config } from 'jest';

const tsJest = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: 'tsconfig.json',
      diagnostics: false,
      // The same Swagger plugin as nest-cli.json, so /openapi.json in tests is the real one.
      astTransformers: { before: ['<rootDir>/test/support/swagger-plugin.transformer.js'] },
    },
  ],
};

const config: Config = {
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: tsJest,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: tsJest,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      testTimeout: 120_000,
    },
  ],
};

export default config;
