/**
 * Bundles each service entry point with esbuild into one file, an ES module
 * (dist/services/<name>.mjs), and reports each bundle's size and cold start: the time from
 * `node <bundle>` to its first answer on /healthz, with the databases and brokers configured
 * but not yet contacted.
 *
 *   npx tsx services/build.ts            # build and measure
 *   npx tsx services/build.ts --no-cold  # build only
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { build } from 'esbuild';

export const ENTRIES = ['monolith', 'user', 'product', 'order', 'inventory', 'payment', 'shipping', 'notification', 'analytics', 'relay'] as const;
export const TOOLS = ['migrate', 'provision-topics', 'reshard'] as const;

const ROOT = path.resolve(__dirname, '..');

/**
 * One ES module per entry point, with everything it uses inside it. CommonJS packages inside the
 * bundle still call `require` and read `__dirname`, so each file defines them from its URL.
 */
const ESM_PRELUDE = [
  "import { createRequire as __orders_createRequire } from 'node:module';",
  "import { fileURLToPath as __orders_fileURLToPath } from 'node:url';",
  "import { dirname as __orders_dirname } from 'node:path';",
  'const require = __orders_createRequire(import.meta.url);',
  'const __filename = __orders_fileURLToPath(import.meta.url);',
  'const __dirname = __orders_dirname(__filename);',
].join('\n');

/** The file a bundle entry point is written to, relative to the bundle directory. */
export const bundleFile = (entry: string): string => `${entry}.mjs`;

export async function buildBundles(outdir = path.join(ROOT, 'dist', 'services'), opts: { minify?: boolean; entries?: readonly string[] } = {}): Promise<{ name: string; file: string; bytes: number }[]> {
  const entries = opts.entries ?? [...ENTRIES, ...TOOLS];
  const entryPoints = Object.fromEntries(
    entries.map((e) => [e, path.join(ROOT, 'services', (TOOLS as readonly string[]).includes(e) ? 'tools' : 'entry', `${e}.ts`)]),
  );
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: { js: ESM_PRELUDE },
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    // Stack traces need the mappings, not a second copy of every dependency's source.
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: ROOT,
    // Optional native or cloud add-ons of the drivers, never used here.
    external: ['pg-native', 'kerberos', '@mongodb-js/zstd', 'snappy', 'socks', 'aws4', 'mongodb-client-encryption', 'gcp-metadata', '@napi-rs/snappy-*'],
  });
  for (const name of entries) pinSourcePaths(path.join(outdir, `${bundleFile(name)}.map`));
  return entries.map((name) => {
    const file = path.join(outdir, bundleFile(name));
    return { name, file, bytes: result.metafile.outputs[path.relative(ROOT, file)].bytes };
  });
}

/** Where stack traces say a bundled source file is: the same for every output folder and checkout. */
export const SOURCE_ROOT = '/src/';

/**
 * esbuild writes a source map's `sources` relative to the output folder, so the same sources
 * built into two folders (or from two checkouts) give different maps, a different image, and
 * different templates. Rewritten relative to the repository, under {@link SOURCE_ROOT}.
 */
function pinSourcePaths(mapFile: string): void {
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourceRoot?: string };
  const dir = path.dirname(mapFile);
  map.sources = map.sources.map((source) => path.relative(ROOT, path.resolve(dir, source)).split(path.sep).join('/'));
  map.sourceRoot = SOURCE_ROOT;
  writeFileSync(mapFile, JSON.stringify(map));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Milliseconds from spawning the bundle to a 200 from /healthz. */
export async function coldStart(file: string, env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', RELAY: 'false', CONSUMERS: 'false', LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${path.basename(file)} exited ${child.exitCode}: ${stderr.trim()}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      if (performance.now() - t0 > 20000) throw new Error(`${path.basename(file)} did not answer /healthz within 20 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const bundles = await buildBundles();
  const outdir = path.dirname(bundles[0].file);
  const total = readdirSync(outdir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(path.join(e.parentPath, e.name)).size, 0);
  process.stdout.write(`built ${bundles.length} bundles in ${Math.round(performance.now() - t0)} ms: ${(total / 1048576).toFixed(1)} MiB in ${path.relative(ROOT, outdir)}/ with source maps\n`);
  const measure = !process.argv.includes('--no-cold');
  const env = {
    ORDERS_DB_URL: 'postgres://postgres:postgres@127.0.0.1:1/unused',
    INVENTORY_DB_URL: 'postgres://postgres:postgres@127.0.0.1:1/unused',
    USERS_DB_URL: 'postgres://postgres:postgres@127.0.0.1:1/unused',
    KAFKA_BROKERS: '127.0.0.1:1',
  };
  process.stdout.write(`${'bundle'.padEnd(18)}${'size'.padStart(10)}${measure ? '  cold start' : ''}\n`);
  for (const b of bundles) {
    let cold = '';
    if (measure && (ENTRIES as readonly string[]).includes(b.name) && b.name !== 'relay') cold = `  ${Math.round(await coldStart(b.file, env))} ms`;
    process.stdout.write(`${b.name.padEnd(18)}${`${(b.bytes / 1024).toFixed(0)} KiB`.padStart(10)}${cold}\n`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`build: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
