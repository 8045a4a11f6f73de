/**
 * Three projects: `unit` (specs beside the code), `e2e` (the real AppModule against
 * real PostgreSQL + Redis, fakes on 127.0.0.1) and `browser` (the dashboard in headless Chromium
 * against the same). NestJS 12 ships ESM only; @swc/jest
 * turns its files into CommonJS (see the README, Development).
 */
/** e2e and browser: the Swagger CLI plugin needs the type checker of the whole program (no isolatedModules). */
const withSwaggerPlugin = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: { isolatedModules: false, module: 'commonjs', moduleResolution: 'bundler' },
      diagnostics: false,
      astTransformers: { before: ['<rootDir>/test/utils/swagger-plugin-transformer.js'] },
    },
  ],
};

/** Baileys 7 (ESM-only) and the ESM-only packages it loads. */
const BAILEYS_ESM = [
  'baileys',
  'whatsapp-rust-bridge',
  'p-queue',
  'p-timeout',
  'eventemitter3',
  'music-metadata',
  'strtok3',
  'token-types',
  'file-type',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
  'win-guid',
  'media-typer',
];

const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // ESM-only packages turned into CommonJS by @swc/jest (Baileys and its ESM deps: providers/whatsapp-web.md §4.1)
  transformIgnorePatterns: [`/node_modules/(?!(${['@nestjs', '@seriousme', ...BAILEYS_ESM].join('|')})/)`],
  // packages whose "exports" offer only `import`; jest resolves with `require`
  moduleNameMapper: {
    '^whatsapp-rust-bridge$': '<rootDir>/node_modules/whatsapp-rust-bridge/dist/index.js',
    '^music-metadata$': '<rootDir>/node_modules/music-metadata/lib/index.js',
    '^file-type$': '<rootDir>/node_modules/file-type/index.js',
  },
};

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      transform: { ...common.transform, ...withSwaggerPlugin },
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      testEnvironment: '<rootDir>/test/utils/contract-environment.js',
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
    {
      // the dashboard in headless Chromium against the gateway (needs `npm run build` first: dist/dashboard)
      ...common,
      displayName: 'browser',
      transform: { ...common.transform, ...withSwaggerPlugin },
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      testEnvironment: '<rootDir>/test/utils/contract-environment.js',
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
  ],
};
