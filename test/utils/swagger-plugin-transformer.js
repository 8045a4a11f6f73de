/**
 * Runs the @nestjs/swagger CLI plugin under ts-jest (an `astTransformers.before` entry), with the
 * options `nest build` uses (read from nest-cli.json), so the e2e suite serves and validates
 * against the same OpenAPI document as the built app. Needs ts-jest's language service (a whole
 * program for the type checker), hence `isolatedModules: false` in the e2e project.
 */
const { createHash } = require('node:crypto');
const { before } = require('@nestjs/swagger/plugin');
const swaggerVersion = require('@nestjs/swagger/package.json').version;
const nestCli = require('../../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger').options;

module.exports = {
  name: 'nestjs-swagger-plugin',
  // part of ts-jest's cache key: new plugin options or a new @nestjs/swagger recompile everything
  version: createHash('sha256')
    .update(`${swaggerVersion} ${JSON.stringify(options)}`)
    .digest('hex')
    .slice(0, 12),
  factory: (compiler) => before(options, compiler.program),
};
