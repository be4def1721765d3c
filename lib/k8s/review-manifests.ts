import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import { ServicesCluster } from './services-cluster';

/** Directory (inside the cloud assembly) the Kubernetes manifests are written to for review. */
export const MANIFEST_DIR = 'k8s';

/**
 * Writes the charts of every EKS cluster in the app as YAML into its cloud assembly
 * (`k8s/<stack>.yaml`), for review beside the templates. Called by the app once the platform is
 * built and before it synthesizes; returns the files written.
 */
export function writeReviewManifests(app: Stage): string[] {
  const clusters = app.node.findAll().filter((c): c is ServicesCluster => c instanceof ServicesCluster);
  if (clusters.length === 0) return [];
  const dir = path.join(app.outdir, MANIFEST_DIR);
  fs.mkdirSync(dir, { recursive: true });
  return clusters.map((cluster) => {
    const file = path.join(dir, `${Stack.of(cluster).stackName}.yaml`);
    fs.writeFileSync(file, cluster.reviewManifests());
    return file;
  });
}
