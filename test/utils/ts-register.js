/**
 * Lets a child `node` process run the TypeScript sources directly (fault tests start real
 * worker processes they can SIGKILL): `node -r ./test/utils/ts-register.js src/worker.ts`.
 * Compiles .ts with @swc/core (legacy decorators + metadata, CommonJS), like jest does.
 */
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
  });
  module._compile(code, filename);
};
