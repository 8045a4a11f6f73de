/**
 * Two projects: `unit` (specs beside the code) and `e2e` (the real AppModule against
 * real PostgreSQL + Redis, fakes on 127.0.0.1). NestJS 12 ships ESM only; @swc/jest
 * turns its files into CommonJS (see the README, Development).
 */
const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // ESM-only packages turned into CommonJS by @swc/jest
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@seriousme)/)'],
};

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      transform: {
        ...common.transform,
        // the Swagger CLI plugin needs the type checker of the whole program: no isolatedModules here
        '^.+\\.ts$': [
          'ts-jest',
          {
            tsconfig: { isolatedModules: false, module: 'commonjs', moduleResolution: 'bundler' },
            diagnostics: false,
            astTransformers: { before: ['<rootDir>/test/utils/swagger-plugin-transformer.js'] },
          },
        ],
      },
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
  ],
};
