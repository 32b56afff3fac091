import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// `dispute simulate`'s workflow bundle, built once and kept on disk: bundling (webpack over the
// workflow sources) is most of what a preview costs besides the run itself. The cache file is named
// by a hash of every workflow source the bundle reaches, the SDK's version and the lock file, so a
// changed source or dependency is a different name (rebuilt, never the stale one). Each file carries
// the hash of its own content: a truncated or edited file is rebuilt, never loaded. It is written
// to a temporary file and renamed, so concurrent runs never see half a bundle.

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Where the cache lives: node_modules/.cache (the convention of the tools there), or DISPUTE_CACHE_DIR. */
export function bundleCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.DISPUTE_CACHE_DIR) return resolve(env.DISPUTE_CACHE_DIR);
  const modules = join(root, 'node_modules');
  // No node_modules (a bare dist/): no cache rather than a shared temporary directory others could write to.
  return existsSync(modules) ? join(modules, '.cache', 'dispute-simulate') : null;
}

export interface BundleSources {
  /** The modules the bundle starts from (the workflows, the failure converter). */
  entries: string[];
}

/** Relative imports and re-exports, static and dynamic: how the workflow sources reach each other. */
const importPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function resolveLocal(from: string, specifier: string): string | null {
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(c|m)?js$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.cts`, `${stem}.mts`, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Every local file the entries reach through relative imports, in a stable order. */
export function sourceFiles(entries: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const found = resolveLocal(file, match[1]!);
      if (found && !seen.has(found)) queue.push(found);
    }
  }
  return [...seen].sort();
}

/** The cache key: the sources' paths and contents, the SDK's version, the dependency lock, Node's major version. */
export function bundleKey(entries: string[]): string {
  const hash = createHash('sha256');
  const sdk = (require('@temporalio/worker/package.json') as { version: string }).version;
  hash.update(`sdk ${sdk}\nnode ${process.versions.node.split('.')[0]}\n`);
  const lock = join(root, 'package-lock.json');
  if (existsSync(lock)) hash.update(readFileSync(lock));
  for (const file of sourceFiles(entries)) {
    hash.update(`\0${file.slice(root.length)}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

const header = (digest: string) => `// dispute-simulate-bundle sha256=${digest}\n`;
const headerPattern = /^\/\/ dispute-simulate-bundle sha256=([0-9a-f]{64})\n/;

/** The bundle in this file, if it is whole: its header names the hash of what follows. */
function readWhole(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const match = headerPattern.exec(text);
  if (!match) return null;
  const code = text.slice(match[0].length);
  return createHash('sha256').update(code).digest('hex') === match[1] ? code : null;
}

export interface CachedBundle {
  code: string;
  /** Whether it came from the cache (false: bundled now). */
  cached: boolean;
  /** The cache file, when there is a cache. */
  path?: string;
}

/**
 * The bundle for these entries: from the cache when a whole file for their hash is there, else
 * built by `build` and stored. A cache that cannot be written is no error: the bundle is used
 * all the same.
 */
export async function cachedBundle(entries: string[], build: () => Promise<string>, dir = bundleCacheDir()): Promise<CachedBundle> {
  if (!dir) return { code: await build(), cached: false };
  const key = bundleKey(entries);
  const path = join(dir, `${key}.js`);
  const found = readWhole(path);
  if (found !== null) {
    // Marks it recently used, so pruning keeps it.
    try {
      utimesSync(path, new Date(), new Date());
    } catch {
      // read-only: fine
    }
    return { code: found, cached: true, path };
  }
  const code = await build();
  try {
    mkdirSync(dir, { recursive: true });
    const temporary = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(temporary, header(createHash('sha256').update(code).digest('hex')) + code, { mode: 0o600 });
    renameSync(temporary, path);
    removeOthers(dir, path);
  } catch {
    // A read-only install: bundle every run.
  }
  return { code, cached: false, path };
}

/** How many bundles the cache keeps (the most recent): a few branches' worth, not every edit's. */
const KEEP = 4;

/** Older bundles go once the cache holds more than KEEP; temporary files older than an hour were abandoned. */
function removeOthers(dir: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  const bundles: { file: string; at: number }[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    try {
      const at = statSync(file).mtimeMs;
      if (name.endsWith('.tmp') && at < hourAgo) rmSync(file, { force: true });
      else if (name.endsWith('.js') && file !== keep) bundles.push({ file, at });
    } catch {
      // another run removed it first
    }
  }
  for (const { file } of bundles.sort((a, b) => b.at - a.at).slice(KEEP - 1)) rmSync(file, { force: true });
}
