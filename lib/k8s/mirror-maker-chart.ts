import * as path from 'node:path';
import { ApiObject, Chart, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { MirrorMakerSpec } from '../../phases';
import { MIRROR_MAKER_PROPERTIES_PATH } from '../replication/mirror-maker';
import { CHECKOV_SKIPS, NAMESPACE, RUN_AS, containerSecurity } from './services-chart';

/** The image's build context: lib/replication/mirror-maker (Dockerfile and the jars' pom.xml). */
export const MIRROR_MAKER_DIR = path.join(__dirname, '..', 'replication', 'mirror-maker');

/**
 * The Kafka version of MirrorMaker's jars: MSK's `4.1.x` line, the same release the local test
 * broker runs (scripts/servers/versions.env; test/infra/versions.test.ts checks they agree).
 */
export const MIRROR_MAKER_KAFKA_VERSION = '4.1.2';

/** The MirrorMaker 2 service account (its IAM role comes through EKS Pod Identity). */
export const MIRROR_MAKER_ACCOUNT = 'mirror-maker';

/** Values the chart takes from the CDK app: tokens when deployed, readable placeholders for review. */
export interface MirrorMakerBindings {
  /** The MirrorMaker image (lib/replication/mirror-maker/Dockerfile). */
  readonly image: string;
  /** The rendered mm2.properties (renderMirrorMakerProperties). */
  readonly properties: string;
  /**
   * A hash of the properties as synthesis knows them (deploy-time values as their names), put in
   * the pod template so that a changed configuration rolls the pod. Computed by the caller: the
   * properties hold tokens whose text differs from one synthesis to the next.
   */
  readonly configHash: string;
}

/**
 * checkov findings the MirrorMaker Deployment accepts, each with its reason (as `checkov.io/skipN`
 * annotations, like the services' own).
 */
export const MIRROR_MAKER_CHECKOV_SKIPS: Readonly<Record<string, string>> = {
  ...CHECKOV_SKIPS,
  CKV_K8S_8:
    'MirrorMaker 2 in dedicated mode opens no port to probe; the container ends when the process dies, and Kubernetes restarts it, resuming from the offsets committed in the target cluster.',
  CKV_K8S_9: 'MirrorMaker 2 takes no traffic: no Service routes to it, so readiness gates nothing.',
};

const LABELS = { 'app.kubernetes.io/name': 'mirror-maker', 'app.kubernetes.io/part-of': 'order-platform' };

/**
 * MirrorMaker 2 in a secondary region: one pod (dedicated mode runs as a single process here;
 * `tasksMax` sets its parallelism) copying the primary region's topics into this region's MSK
 * cluster, with the rendered properties mounted from a ConfigMap. A change of the properties
 * changes the pod template's `orders.platform/config-hash`, so the pod rolls onto it. Non-root,
 * read-only root filesystem, no capabilities, no ingress: it only makes outbound connections.
 */
export class MirrorMakerChart extends Chart {
  constructor(scope: Construct, id: string, spec: MirrorMakerSpec, bindings: MirrorMakerBindings) {
    super(scope, id, { labels: { 'app.kubernetes.io/part-of': 'order-platform' } });
    const file = MIRROR_MAKER_PROPERTIES_PATH.split('/').pop() ?? 'mm2.properties';
    const dir = MIRROR_MAKER_PROPERTIES_PATH.slice(0, -file.length - 1);

    const config = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: 'mirror-maker-config', namespace: NAMESPACE, labels: LABELS },
      data: { [file]: bindings.properties },
    });
    const account = new kplus.ServiceAccount(this, 'Account', {
      metadata: { name: MIRROR_MAKER_ACCOUNT, namespace: NAMESPACE, labels: LABELS },
      automountToken: false,
    });
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', config, { name: 'config' });
    const tmp = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(256) });

    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: {
        name: 'mirror-maker',
        namespace: NAMESPACE,
        labels: LABELS,
        annotations: Object.fromEntries(Object.entries(MIRROR_MAKER_CHECKOV_SKIPS).map(([check, reason], i) => [`checkov.io/skip${i + 1}`, `${check}=${reason}`])),
      },
      replicas: 1,
      // Two MirrorMaker processes on the same flow would both run the connectors: replace, never overlap.
      strategy: kplus.DeploymentStrategy.recreate(),
      podMetadata: { labels: LABELS, annotations: { 'orders.platform/config-hash': bindings.configHash } },
      serviceAccount: account,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: RUN_AS, group: RUN_AS, fsGroup: RUN_AS },
      volumes: [configVolume, tmp],
      containers: [
        {
          name: 'mirror-maker',
          image: bindings.image,
          imagePullPolicy: kplus.ImagePullPolicy.ALWAYS,
          securityContext: containerSecurity,
          resources: {
            cpu: { request: kplus.Cpu.millis(spec.cpuMillis), limit: kplus.Cpu.millis(spec.cpuMillis * 2) },
            memory: { request: Size.mebibytes(spec.memoryMiB), limit: Size.mebibytes(spec.memoryMiB) },
          },
          volumeMounts: [
            { path: dir, volume: configVolume, readOnly: true },
            { path: '/tmp', volume: tmp },
          ],
        },
      ],
    });
    const api = ApiObject.of(deployment);
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }));

    new kplus.k8s.KubeNetworkPolicy(this, 'Ingress', {
      metadata: { name: 'mirror-maker', namespace: NAMESPACE, labels: LABELS },
      spec: { podSelector: { matchLabels: LABELS }, policyTypes: ['Ingress'], ingress: [] },
    });
  }
}
