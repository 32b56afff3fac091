import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleKey, cachedBundle, sourceFiles } from '../client/simulate-bundle';
import { failureConverterPath } from '../runtime/payload-codec';
import { previewWorkflowsPath } from '../worker/create';

// `dispute simulate`'s bundle cache: used on the next run, rebuilt when a source the bundle reaches
// changes, and never loaded when the file on disk is not whole.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Two workflow sources, one importing the other, and an empty cache beside them. */
function sources() {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-bundle-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'index.ts'), "export * from './dispute/workflow';\n");
  mkdirSync(join(dir, 'dispute'));
  writeFileSync(join(dir, 'dispute', 'workflow.ts'), "import type { X } from '../types.js';\nexport const stages = 4;\n");
  writeFileSync(join(dir, 'types.ts'), 'export type X = number;\n');
  return { entry: join(dir, 'index.ts'), cache: join(dir, 'cache'), dir };
}

/** A builder that counts its calls and returns code naming the call. */
function counting() {
  let calls = 0;
  return { build: async () => `/* bundle ${++calls} */ module.exports = {};`, calls: () => calls };
}

describe('the simulate bundle cache', () => {
  it('bundles once, then reads the cache; a concurrent run sees a whole file or none', async () => {
    const { entry, cache } = sources();
    const builder = counting();
    const first = await cachedBundle([entry], builder.build, cache);
    expect(first).toMatchObject({ cached: false, code: '/* bundle 1 */ module.exports = {};' });
    const second = await cachedBundle([entry], builder.build, cache);
    expect(second).toMatchObject({ cached: true, code: first.code, path: first.path });
    expect(builder.calls()).toBe(1);
    // Written to a temporary file and renamed: nothing but the bundle is left behind.
    expect(readdirSync(cache)).toEqual([`${bundleKey([entry])}.js`]);
  });

  it('follows relative imports: a change in a file the entry reaches is a new key and a rebuild', async () => {
    const { entry, cache, dir } = sources();
    expect(sourceFiles([entry]).map((file) => file.slice(dir.length))).toEqual(['/dispute/workflow.ts', '/index.ts', '/types.ts']);
    const builder = counting();
    await cachedBundle([entry], builder.build, cache);
    const before = bundleKey([entry]);
    writeFileSync(join(dir, 'types.ts'), 'export type X = string;\n');
    expect(bundleKey([entry])).not.toBe(before);
    const rebuilt = await cachedBundle([entry], builder.build, cache);
    expect(rebuilt).toMatchObject({ cached: false, code: '/* bundle 2 */ module.exports = {};' });
    expect(builder.calls()).toBe(2);
  });

  it('a truncated or edited cache file is rebuilt, never loaded', async () => {
    const { entry, cache } = sources();
    const builder = counting();
    const { path } = await cachedBundle([entry], builder.build, cache);
    const whole = readFileSync(path!, 'utf8');
    writeFileSync(path!, whole.slice(0, whole.length - 5));
    expect(await cachedBundle([entry], builder.build, cache)).toMatchObject({ cached: false, code: '/* bundle 2 */ module.exports = {};' });
    writeFileSync(path!, readFileSync(path!, 'utf8').replace('bundle 2', 'bundle 9'));
    expect(await cachedBundle([entry], builder.build, cache)).toMatchObject({ cached: false, code: '/* bundle 3 */ module.exports = {};' });
    writeFileSync(path!, 'not a bundle');
    expect(await cachedBundle([entry], builder.build, cache)).toMatchObject({ cached: false, code: '/* bundle 4 */ module.exports = {};' });
    expect(await cachedBundle([entry], builder.build, cache)).toMatchObject({ cached: true, code: '/* bundle 4 */ module.exports = {};' });
  });

  it('concurrent runs with an empty cache each get a whole bundle, and the cache holds one whole file', async () => {
    const { entry, cache } = sources();
    const builder = counting();
    const runs = await Promise.all(Array.from({ length: 6 }, () => cachedBundle([entry], builder.build, cache)));
    for (const run of runs) expect(run.code).toMatch(/^\/\* bundle \d \*\/ module\.exports = \{\};$/);
    expect(readdirSync(cache).filter((name) => !name.endsWith('.js'))).toEqual([]);
    expect((await cachedBundle([entry], builder.build, cache)).cached).toBe(true);
  });

  it('the preview bundle’s key covers the dispute workflow, its procedure and the calendar it computes deadlines with', () => {
    const files = sourceFiles([previewWorkflowsPath, failureConverterPath]).map((file) => file.replace(/\\/g, '/'));
    for (const expected of ['workflows/index.ts', 'workflows/dispute/workflow.ts', 'workflows/dispute/procedure.ts', 'workflows/dispute/preview.ts', 'runtime/failure-converter.cjs']) {
      expect(files.some((file) => file.endsWith(expected)), expected).toBe(true);
    }
    expect(files.some((file) => file.includes('/policies/calendar'))).toBe(true);
  });
});
