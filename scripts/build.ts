// `npm run build`: compiles the product to JavaScript in dist/ and bundles the workflow code once, so
// the production image runs `node dist/…` with neither tsx nor TypeScript, and the worker loads
// the bundle instead of bundling at every start.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { failureConverterPath } from '../runtime/payload-codec';
import { workflowsPath } from '../worker/create';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

// The sources import without extensions (moduleResolution "Bundler", as tsx and vitest read them);
// Node's ESM loader needs the file itself, so each relative specifier gets the one tsc wrote.
const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
function withExtension(file: string, spec: string): string {
  if (/\.(js|json)$/.test(spec)) return spec;
  const target = resolve(dirname(file), spec);
  if (existsSync(`${target}.js`)) return `${spec}.js`;
  if (existsSync(join(target, 'index.js'))) return `${spec}/index.js`;
  throw new Error(`${file}: cannot resolve '${spec}' in the compiled output`);
}
function fixSpecifiers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) fixSpecifiers(path);
    else if (name.endsWith('.js')) {
      const code = readFileSync(path, 'utf8');
      const fixed = code.replace(specifier, (_all, head: string, quote: string, spec: string) => `${head}${quote}${withExtension(path, spec)}${quote}`);
      if (fixed !== code) writeFileSync(path, fixed);
    }
  }
}
fixSpecifiers(dist);

// The policies and the demo directory are data the code reads beside itself.
cpSync(join(root, 'policies'), join(dist, 'policies'), { recursive: true, filter: (path) => statSync(path).isDirectory() || /\.(ya?ml|json)$/.test(path) });

// The board pages' templates and static files are read beside their code.
for (const folder of ['views', 'static']) cpSync(join(root, 'client', 'web', folder), join(dist, 'client', 'web', folder), { recursive: true });

// The failure converter is loaded by path (CommonJS, beside the compiled payload codec).
cpSync(failureConverterPath, join(dist, 'runtime', 'failure-converter.cjs'));

// The compiled worker (dist/worker/create.js) finds this at dist/workflow-bundle.js.
const bundlePath = join(dist, 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } });
writeFileSync(bundlePath, code);
console.log(`built dist/ and ${bundlePath.slice(root.length + 1)} (${Math.round(code.length / 1024)} KiB)`);
