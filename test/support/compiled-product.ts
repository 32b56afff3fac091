import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

// Each CLI call in the tests is a new Node process. Through tsx (bin/dispute.js in a checkout) every
// call pays for tsx's loader and loads TypeScript through it: about twice the time of plain
// JavaScript. The tests compile the product's sources once per run instead, file by file into the
// same layout (what `npm run build` does with tsc, but in well under a second), and run the
// compiled CLI: the same source, so the tests still prove the product. cli-help keeps one call
// through `npx dispute`, exactly as the README says.

const folders = ['client', 'runtime', 'records', 'policies', 'workflows', 'activities', 'worker'];

function sources(root: string, dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(root, path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports stay imports of the compiled file beside (with the `.js` Node's loader needs); packages stay packages. */
function eachFileOnItsOwn(root: string): Plugin {
  return {
    name: 'each-file-on-its-own',
    setup(plugin) {
      plugin.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (!args.path.startsWith('.')) return { path: args.path, external: true };
        if (/\.(js|cjs|json)$/.test(args.path)) return { path: args.path, external: true };
        const target = resolve(args.resolveDir, args.path);
        if (existsSync(`${target}.ts`)) return { path: `${args.path}.js`, external: true };
        if (existsSync(join(target, 'index.ts'))) return { path: `${args.path}/index.js`, external: true };
        throw new Error(`${relative(root, args.importer)}: cannot resolve '${args.path}'`);
      });
    },
  };
}

/**
 * Compiles the product into `outDir`, laid out as the checkout (`client/cli/main.js` is the CLI).
 * Data read beside the code is copied; what the code finds above itself (the Temporal binaries,
 * node_modules for the simulate cache) is linked; the workflow sources are copied too, since
 * `dispute simulate` bundles them with webpack as in a checkout.
 */
export async function compileProduct(root: string, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const entryPoints = folders.flatMap((folder) => sources(root, folder));
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir: outDir,
    outbase: '.',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
    plugins: [eachFileOnItsOwn(root)],
  });
  cpSync(join(root, 'policies'), join(outDir, 'policies'), { recursive: true, filter: (path) => statSync(path).isDirectory() || /\.(ya?ml|json)$/.test(path) });
  for (const folder of ['views', 'static']) cpSync(join(root, 'client', 'web', folder), join(outDir, 'client', 'web', folder), { recursive: true });
  cpSync(join(root, 'runtime', 'failure-converter.cjs'), join(outDir, 'runtime', 'failure-converter.cjs'));
  cpSync(join(root, 'workflows'), join(outDir, 'workflows'), { recursive: true, filter: (path) => statSync(path).isDirectory() || path.endsWith('.ts') });
  // package.json makes the .js files ES modules; the lock file is part of simulate's bundle cache key.
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(root, file), join(outDir, file));
  for (const linked of ['.temporal', 'node_modules']) {
    if (existsSync(join(root, linked))) symlinkSync(relative(outDir, join(root, linked)), join(outDir, linked));
  }
  if (!existsSync(join(outDir, 'client', 'cli', 'main.js'))) throw new Error(`no compiled CLI in ${outDir}`);
}
