import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, AssetStaging, BundlingOptions, DockerImage, ILocalBundling } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { BuildCache } from './build-cache';

/** The repository root. */
const ROOT = path.resolve(__dirname, '..', '..');

/** The launcher, Dockerfile and secrets script that go beside the bundles. */
const RUNTIME_DIR = path.join(__dirname, 'runtime');

/** Where the bundles sit inside the staged directory, the S3 archive and the image (`/app/services`). */
const BUNDLE_SUBDIR = 'services';

/**
 * The inputs of the asset hash, below a repository root: the services' sources, what they compile
 * in from `phases/` (the flag definitions, the topics' sizes), the lock file, the compiler settings
 * and the runtime files.
 */
function hashInputs(root: string): string[] {
  return [
    path.join(root, 'services'),
    path.join(root, 'phases'),
    path.join(root, 'package-lock.json'),
    path.join(root, 'tsconfig.json'),
    path.join(root, path.relative(ROOT, RUNTIME_DIR)),
  ];
}

function filesUnder(entry: string): string[] {
  if (!fs.existsSync(entry)) return [];
  if (fs.statSync(entry).isFile()) return [entry];
  return fs
    .readdirSync(entry, { withFileTypes: true })
    .filter((d) => d.name !== 'node_modules' && !d.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => filesUnder(path.join(entry, d.name)));
}

/**
 * A hash of everything the bundles are built from, so that the asset's identity is known
 * without building it: the same sources give the same asset hash on every machine. `root` is
 * the repository (another checkout, in tests).
 */
export function bundleSourceHash(root = ROOT): string {
  const hash = createHash('sha256');
  for (const file of hashInputs(root).flatMap(filesUnder)) {
    hash.update(path.relative(root, file).split(path.sep).join('/'));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Built bundles kept between synths, by source hash (node_modules/.cache, the usual place for a
 * build cache): `cdk synth` and `cdk diff` build them once per change to the services, not once
 * per run.
 */
export const BUNDLE_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'order-platform', 'service-bundles');

/**
 * The repository files a cached build is checked against: every file in each top-level folder
 * that the bundles' source maps name (`services/`, and `phases/` for the feature flags). Whole
 * folders, so that a file the build read without taking code from it is covered too.
 * Dependencies are left out: their versions are in the lock file, which is in the source hash.
 */
export function bundleInputs(bundleDir: string, root = ROOT): string[] {
  const folders = new Set<string>();
  for (const name of fs.readdirSync(bundleDir).filter((n) => n.endsWith('.map'))) {
    const map = JSON.parse(fs.readFileSync(path.join(bundleDir, name), 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const parts = source.split('/');
      if (parts[0] === '..' || parts.includes('node_modules')) continue;
      folders.add(parts.length > 1 ? parts[0] : source);
    }
  }
  return [...folders]
    .sort()
    .flatMap((folder) => filesUnder(path.join(root, folder)))
    .map((file) => path.relative(root, file).split(path.sep).join('/'));
}

const BUNDLE_CACHE = new BuildCache({ dir: BUNDLE_CACHE_DIR, root: ROOT });

/** Bundles already built in this process, by source hash: several assemblies (phases, tests) share one build. */
const BUILT = new Map<string, string>();

/**
 * Builds the bundles locally (esbuild through services/build.ts), with no Docker engine, or
 * copies them from the cache when nothing they were built from has changed.
 */
class LocalBundler implements ILocalBundling {
  // Only the source hash as a field: aws-cdk-lib hashes the bundling options, this object included, into the asset hash.
  constructor(private readonly sourceHash: string) {}

  tryBundle(outputDir: string): boolean {
    const earlier = BUILT.get(this.sourceHash);
    if (earlier && fs.existsSync(earlier)) {
      fs.cpSync(earlier, outputDir, { recursive: true });
      return true;
    }
    if (!BUNDLE_CACHE.restore(this.sourceHash, outputDir)) {
      buildInto(outputDir);
      BUNDLE_CACHE.store(this.sourceHash, outputDir, bundleInputs(path.join(outputDir, BUNDLE_SUBDIR)));
    }
    // The staging renames outputDir to its final place; remember where that will be.
    BUILT.set(this.sourceHash, outputDir.replace(/-building$/, ''));
    return true;
  }
}

/** Writes the runtime files and the bundles into `outputDir`. */
function buildInto(outputDir: string): void {
  for (const name of fs.readdirSync(RUNTIME_DIR)) fs.copyFileSync(path.join(RUNTIME_DIR, name), path.join(outputDir, name));
  const target = path.join(outputDir, BUNDLE_SUBDIR);
  const script = "require('./services/build.ts').buildBundles(process.argv[1]).catch((e) => { console.error(e); process.exit(1); })";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script, target], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`services/build.ts failed (${result.status}): ${result.stderr || result.error}`);
}

/**
 * The services' esbuild bundles, built once at synth from `services/` and delivered two ways:
 * as an S3 asset that app servers download (EC2 phases) and as a container image built by CDK
 * at deploy time (EKS phases). Synthesis needs no Docker engine: the image is only hashed.
 *
 * Layout (in the archive and under `/app` in the image): `launch.js`, `fetch-secrets.sh`,
 * `Dockerfile` and `services/<entry>.mjs` (one file each, with its source map) for each entry
 * point and tool.
 */
export class ServiceBundle extends Construct {
  private readonly staging: AssetStaging;
  private s3?: s3assets.Asset;
  private docker?: ecrAssets.DockerImageAsset;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const sourceHash = bundleSourceHash();
    const bundling: BundlingOptions = {
      // Never used: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      local: new LocalBundler(sourceHash),
    };
    this.staging = new AssetStaging(this, 'Staging', {
      sourcePath: RUNTIME_DIR,
      assetHash: sourceHash,
      assetHashType: AssetHashType.CUSTOM,
      bundling,
    });
  }

  /** The bundles as a zip in the CDK assets bucket (created on first use). */
  get archive(): s3assets.Asset {
    this.s3 ??= new s3assets.Asset(this, 'Archive', {
      path: this.staging.absoluteStagedPath,
      assetHash: this.staging.assetHash,
      assetHashType: AssetHashType.CUSTOM,
    });
    return this.s3;
  }

  /** The bundles as a container image in the CDK assets repository (created on first use). */
  get image(): ecrAssets.DockerImageAsset {
    this.docker ??= new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: this.staging.absoluteStagedPath,
      platform: ecrAssets.Platform.LINUX_ARM64,
    });
    return this.docker;
  }
}
