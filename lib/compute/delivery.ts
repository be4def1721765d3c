import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, AssetStaging, BundlingOptions, DockerImage, ILocalBundling } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

/** The repository root. */
const ROOT = path.resolve(__dirname, '..', '..');

/** The launcher, Dockerfile and secrets script that go beside the bundles. */
const RUNTIME_DIR = path.join(__dirname, 'runtime');

/** Where the bundles sit inside the staged directory, the S3 archive and the image (`/app/services`). */
const BUNDLE_SUBDIR = 'services';

/** What the bundle's content depends on: the services' sources, the lock file and the runtime files. */
const HASH_INPUTS = [path.join(ROOT, 'services'), path.join(ROOT, 'package-lock.json'), path.join(ROOT, 'tsconfig.json'), RUNTIME_DIR];

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
 * without building it: the same sources give the same asset hash on every machine.
 */
function bundleSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of HASH_INPUTS.flatMap(filesUnder)) {
    hash.update(path.relative(ROOT, file).split(path.sep).join('/'));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Bundles already built in this process, by source hash: several assemblies (phases, tests) share one build. */
const BUILT = new Map<string, string>();

/** Builds the bundles locally (esbuild through services/build.ts), with no Docker engine. */
class LocalBundler implements ILocalBundling {
  constructor(private readonly sourceHash: string) {}

  tryBundle(outputDir: string): boolean {
    const earlier = BUILT.get(this.sourceHash);
    if (earlier && fs.existsSync(earlier)) {
      fs.cpSync(earlier, outputDir, { recursive: true });
      return true;
    }
    for (const name of fs.readdirSync(RUNTIME_DIR)) fs.copyFileSync(path.join(RUNTIME_DIR, name), path.join(outputDir, name));
    const target = path.join(outputDir, BUNDLE_SUBDIR);
    const script = "require('./services/build.ts').buildBundles(process.argv[1]).catch((e) => { console.error(e); process.exit(1); })";
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script, target], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`services/build.ts failed (${result.status}): ${result.stderr || result.error}`);
    // The staging renames outputDir to its final place; remember where that will be.
    BUILT.set(this.sourceHash, outputDir.replace(/-building$/, ''));
    return true;
  }
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
