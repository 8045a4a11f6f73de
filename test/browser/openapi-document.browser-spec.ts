import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const COMMITTED = join(ROOT, 'web/src/api/openapi.json');
const WRITER = join(ROOT, 'dist/src/openapi/write-openapi.js');

/**
 * The dashboard's client is typed from web/src/api/openapi.json: it must be the document the built
 * gateway publishes at /api/docs-json (the same buildOpenApiDocument), and schema.d.ts must be
 * generated from it. Both fail with the command that fixes them: `npm run openapi`.
 */
describe('the dashboard’s committed OpenAPI document (browser project: needs the build)', () => {
  it('equals the document the built app publishes', () => {
    if (!existsSync(WRITER)) throw new Error(`${WRITER} missing: run npm run build first`);
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-openapi-'));
    try {
      const out = join(dir, 'openapi.json');
      execFileSync(process.execPath, [WRITER, out], { cwd: ROOT, stdio: 'pipe' });
      const published = JSON.parse(readFileSync(out, 'utf8'));
      const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
      if (JSON.stringify(published) !== JSON.stringify(committed)) {
        const paths = (d: { paths: object }) => Object.keys(d.paths);
        throw new Error(
          'web/src/api/openapi.json is not what the app publishes: run `npm run openapi` and commit the result ' +
            `(paths only in the app: ${
              paths(published)
                .filter((p) => !paths(committed).includes(p))
                .join(', ') || 'none'
            })`,
        );
      }
      expect(Object.keys(published.paths)).toEqual(expect.arrayContaining(['/api/chats', '/api/providers']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('schema.d.ts is generated from it (openapi-typescript --check)', () => {
    const bin = join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
    expect(() =>
      execFileSync(
        process.execPath,
        [bin, COMMITTED, '-o', join(ROOT, 'web/src/api/schema.d.ts'), '--check'],
        {
          cwd: ROOT,
          stdio: 'pipe',
        },
      ),
    ).not.toThrow();
  });
});
