import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { parseAllDocuments } from 'yaml';
import { PHASES, PHASE_NAMES, PhaseName, RegionName, SERVICE_NAMES } from '../../../phases';
import { regionalStackName } from '../../../lib/naming';
import { calledBy, SERVICE_ROUTES } from '../../../lib/compute/routes';
import { CHECKOV_SKIPS, CONFIG_HASH_ANNOTATION, READINESS_GATE_LABEL, RUN_AS, stableHash } from '../../../lib/k8s/services-chart';
import { PRE_STOP_SECONDS, SHUTDOWN, TERMINATION_GRACE_SECONDS } from '../../../lib/compute/shutdown';
import { MANIFEST_DIR, writeReviewManifests } from '../../../lib/k8s/review-manifests';
import { buildPlatform } from '../../../lib/platform';
import { cdkJsonContext } from '../support/synth';
import { SUBNET_GROUPS } from '../../../lib/constructs/network';
import { MIRROR_MAKER_CHECKOV_SKIPS } from '../../../lib/k8s/mirror-maker-chart';
import { assemblyDir, stackNames, templateJson } from '../support/assembly';
import { loadConfig } from '../../../services/shared/config';
import { BUSINESS_NAMESPACE } from '../../../lib/monitoring/alarms';
import { ROOT, requireTool } from './support/tools';

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any; [k: string]: any };

const eksPhases = PHASE_NAMES.filter((name) => PHASES[name].compute.eks);

function manifestFiles(phase: PhaseName): string[] {
  const dir = path.join(assemblyDir(), phase, MANIFEST_DIR);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort().map((f) => path.join(dir, f)) : [];
}

function docs(file: string): Doc[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc).filter(Boolean);
}

const find = (all: Doc[], kind: string, name: string) => all.find((d) => d.kind === kind && d.metadata.name === name);
const findJob = (all: Doc[], base: string) => all.find((d) => d.kind === 'Job' && d.metadata.name.replace(/-[0-9a-f]{10}$/, '') === base);

/** CIDRs of the ingress subnets of a region's VPC (the load balancer's and the scraper's), from its network stack's template. */
function ingressSubnetCidrs(phase: PhaseName, region: RegionName): string[] {
  return Object.values(templateJson(phase, regionalStackName(region, 'network')).Resources ?? {})
    .filter((r: any) => r.Type === 'AWS::EC2::Subnet' && (r.Properties.Tags ?? []).some((t: any) => t.Key === 'aws-cdk:subnet-name' && t.Value === SUBNET_GROUPS.ingress))
    .map((r: any) => r.Properties.CidrBlock as string);
}

/** The deregistration delay of every IP target group (the pods') in a phase's compute stacks. */
function ipTargetGroupDeregistrationDelays(phase: PhaseName): number[] {
  return stackNames(phase)
    .filter((n) => n.endsWith('-compute'))
    .flatMap((n) => Object.values(templateJson(phase, n).Resources ?? {}))
    .filter((r: any) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && r.Properties.TargetType === 'ip')
    .map((r: any) => Number((r.Properties.TargetGroupAttributes ?? []).find((a: any) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300));
}

describe('Kubernetes manifests written for review', () => {
  test('phases before EKS write no manifests; every EKS phase writes one file per region', () => {
    for (const phase of PHASE_NAMES) {
      const expected = PHASES[phase].compute.eks ? PHASES[phase].regions.length : 0;
      expect([phase, manifestFiles(phase).length]).toEqual([phase, expected]);
    }
  });

  test('building the platform writes no file; the app writes each cluster\'s manifests, the same as the assembly\'s', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
    const app = new App({ outdir, context: cdkJsonContext() });
    buildPlatform(app, PHASES['50k']);
    expect(fs.existsSync(path.join(outdir, MANIFEST_DIR))).toBe(false);
    const written = writeReviewManifests(app);
    expect(written.map((file) => path.relative(outdir, file))).toEqual([path.join(MANIFEST_DIR, `${regionalStackName('us-east-1', 'compute')}.yaml`)]);
    expect(fs.readFileSync(written[0], 'utf8')).toBe(fs.readFileSync(manifestFiles('50k')[0], 'utf8'));
  });

  test('an app without an EKS cluster writes no manifests', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
    const app = new App({ outdir, context: cdkJsonContext() });
    buildPlatform(app, PHASES['30k']);
    expect(writeReviewManifests(app)).toEqual([]);
    expect(fs.existsSync(path.join(outdir, MANIFEST_DIR))).toBe(false);
  });

  describe.each(eksPhases)('phase %s', (phase) => {
    const spec = PHASES[phase];
    const all = () => manifestFiles(phase).flatMap(docs);

    test('each service has a Deployment, Service, HPA with the spec\'s bounds, PDB, NetworkPolicy, ServiceAccount and ConfigMap', () => {
      for (const file of manifestFiles(phase)) {
        const d = docs(file);
        for (const pod of spec.compute.eks!.services) {
          expect(find(d, 'Deployment', pod.name)).toBeDefined();
          expect(find(d, 'Service', pod.name)).toBeDefined();
          expect(find(d, 'ServiceAccount', pod.name)).toBeDefined();
          expect(find(d, 'ConfigMap', `${pod.name}-config`)).toBeDefined();
          expect(find(d, 'PodDisruptionBudget', pod.name)?.spec.maxUnavailable).toBe(1);
          // Where pods scale ahead of demand, KEDA creates the HPA from the ScaledObject (predictive-scaling.test.ts).
          const scaled = find(d, 'ScaledObject', pod.name);
          const hpa = find(d, 'HorizontalPodAutoscaler', pod.name);
          expect([pod.name, !!scaled, !!hpa]).toEqual([pod.name, !!spec.compute.eks!.predictiveScaling, !spec.compute.eks!.predictiveScaling]);
          const bounds = scaled ? [scaled.spec.minReplicaCount, scaled.spec.maxReplicaCount] : [hpa!.spec.minReplicas, hpa!.spec.maxReplicas];
          expect(bounds).toEqual([pod.minReplicas, pod.maxReplicas]);
          const cpuTarget = scaled ? Number(scaled.spec.triggers[0].metadata.value) : hpa!.spec.metrics[0].resource.target.averageUtilization;
          expect(cpuTarget).toBe(pod.targetCpuPercent);
          expect(find(d, 'NetworkPolicy', pod.name)).toBeDefined();
        }
      }
    });

    test('containers run as a non-root user with a read-only root filesystem, no capabilities, probes and resources', () => {
      for (const dep of all().filter((d) => d.kind === 'Deployment')) {
        const pod = dep.spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.automountServiceAccountToken).toBe(false);
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
          expect(c.resources.requests).toBeDefined();
          expect(c.resources.limits).toBeDefined();
        }
        const [app] = pod.containers;
        if (dep.metadata.name === 'mirror-maker') {
          // One process copying topics: no port, no probes (see its checkov skips), sized by the spec.
          const mm = spec.streaming.mirrorMaker!;
          expect([dep.spec.replicas, dep.spec.strategy.type]).toEqual([1, 'Recreate']);
          expect(app.resources.requests).toEqual({ cpu: `${mm.cpuMillis}m`, memory: `${mm.memoryMiB}Mi` });
          continue;
        }
        expect(app.livenessProbe.httpGet.path).toBe('/healthz');
        expect(app.readinessProbe.httpGet.path).toBe('/readyz');
        expect(dep.spec.replicas).toBeUndefined();
        const sized = spec.compute.eks!.services.find((s) => s.name === dep.metadata.name)!;
        expect(app.resources.requests).toEqual({ cpu: `${sized.cpuMillis}m`, memory: `${sized.memoryMiB}Mi` });
      }
    });

    test('a service\'s NetworkPolicy admits only the services that call it, and the load balancer and scraper by their subnets, on the service port only', () => {
      for (const file of manifestFiles(phase)) {
        const d = docs(file);
        const region = spec.regions.find((r) => path.basename(file) === `${regionalStackName(r.region, 'compute')}.yaml`)!;
        const ingressCidrs = ingressSubnetCidrs(phase, region.region);
        expect(ingressCidrs).toHaveLength(3);
        for (const name of SERVICE_NAMES) {
          const policy = find(d, 'NetworkPolicy', name)!;
          const podPeers = policy.spec.ingress.flatMap((rule: any) => rule.from.filter((p: any) => p.podSelector).map((p: any) => p.podSelector.matchLabels['app.kubernetes.io/name']));
          expect([name, podPeers.sort()]).toEqual([name, [...SERVICE_ROUTES[name].callers].sort()]);
          const blocks = policy.spec.ingress.flatMap((rule: any) => rule.from.filter((p: any) => p.ipBlock).map((p: any) => p.ipBlock.cidr));
          // The internal load balancer's and the scraper's network interfaces are in the ingress subnets, which hold no pod (pod-isolation.test.ts).
          expect([name, blocks.sort()]).toEqual([name, [...ingressCidrs].sort()]);
          expect(blocks).not.toContain(region.vpcCidr);
          for (const rule of policy.spec.ingress) expect(rule.ports).toEqual([{ protocol: 'TCP', port: 3000 }]);
          for (const rule of policy.spec.ingress) for (const peer of rule.from) expect(Object.keys(peer).length).toBe(1);
        }
        expect(find(d, 'NetworkPolicy', 'default-deny-ingress')?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      }
    });

    test('pods keep serving through a preStop sleep longer than their targets\' draining, then stop within their grace period', () => {
      const delays = ipTargetGroupDeregistrationDelays(phase);
      expect(delays.length).toBe(SERVICE_NAMES.length * spec.regions.length);
      for (const delay of delays) expect(PRE_STOP_SECONDS).toBeGreaterThanOrEqual(delay + SHUTDOWN.propagationSeconds);
      const d = all();
      for (const name of SERVICE_NAMES) {
        const pod = find(d, 'Deployment', name)!.spec.template.spec;
        expect(pod.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: PRE_STOP_SECONDS } } });
        expect(pod.terminationGracePeriodSeconds).toBe(TERMINATION_GRACE_SECONDS);
        const grace = Number(find(d, 'ConfigMap', `${name}-config`)!.data.SHUTDOWN_GRACE_MS);
        expect(grace).toBe(SHUTDOWN.graceSeconds * 1000);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(PRE_STOP_SECONDS + grace / 1000);
      }
    });

    test('a rollout waits for each new pod to be healthy in its target group (the ALB controller\'s readiness gate)', () => {
      for (const file of manifestFiles(phase)) {
        const namespace = find(docs(file), 'Namespace', 'orders')!;
        expect(namespace.metadata).toMatchObject({ labels: READINESS_GATE_LABEL });
        expect(docs(file).some((x) => x.kind === 'TargetGroupBinding')).toBe(true);
      }
    });

    test('each pod template carries the hash of its ConfigMap, so a configuration change rolls the pods', () => {
      const d = all();
      for (const name of SERVICE_NAMES) {
        const annotations = find(d, 'Deployment', name)!.spec.template.metadata.annotations;
        expect(annotations[CONFIG_HASH_ANNOTATION]).toBe(stableHash(find(d, 'ConfigMap', `${name}-config`)!.data));
      }
    });

    test('services that call others are told where they are', () => {
      const d = all();
      for (const name of SERVICE_NAMES) {
        const urls = find(d, 'ConfigMap', `${name}-config`)!.data.SERVICE_URLS ?? '';
        for (const target of calledBy(name)) expect(urls).toContain(`${target}=http://${target}.orders.svc.cluster.local:80`);
      }
    });

    test('every ConfigMap is an environment the services\' config schema accepts', () => {
      // Deploy-time values and secrets stand in as plausible literals.
      const literal = (value: string) =>
        value
          .replace(/\{\{secret:[^}]+\}\}/g, 'secret')
          .replace(/<[^>]*BootstrapBrokers[^>]*>/g, 'b-1.example:9098,b-2.example:9098')
          .replace(/<[^>]*Port[^>]*>/g, '6379')
          .replace(/<[^>]*>/g, 'host.example');
      // MirrorMaker's ConfigMap holds its properties file, not a service environment.
      for (const map of all().filter((d) => d.kind === 'ConfigMap' && d.metadata.name !== 'mirror-maker-config')) {
        const env = Object.fromEntries(Object.entries(map.data as Record<string, string>).map(([k, v]) => [k, literal(v)]));
        const config = loadConfig(env);
        expect([map.metadata.name, config.CACHE, config.REDIS_TLS, config.KAFKA_SSL, config.CATALOG_STORE]).toEqual([map.metadata.name, true, true, true, 'mongo']);
        expect(config.SHARDING).toBe(spec.postgres.instances.filter((i) => i.role === 'orders').length > 1);
        expect(config.ORDER_BUCKETS).toBe(spec.postgres.orderBuckets);
        // The in-process catalogue cache, as the spec sizes it (from 50k).
        expect([config.LOCAL_CACHE_ENTRIES, config.LOCAL_CACHE_TTL_MS]).toEqual(spec.cache.inProcess ? [spec.cache.inProcess.entries, spec.cache.inProcess.ttlMs] : [0, 2000]);
        expect(config.EVENT_SOURCING).toBe(spec.compute.eventSourcing !== undefined);
        // The cache's AUTH token, and the namespace the capacity alarm reads.
        // One process per pod: the pod's CPU request is what the autoscaler counts.
        expect([config.REDIS_PASSWORD, config.CLOUDWATCH_NAMESPACE, config.DAILY_USERS, config.PROCESSES]).toEqual(['secret', BUSINESS_NAMESPACE, true, 1]);
      }
    });

    test('the review manifests hold no unresolved CDK tokens', () => {
      for (const file of manifestFiles(phase)) expect(fs.readFileSync(file, 'utf8')).not.toMatch(/\$\{Token\[/);
    });

    test('a Job grows the Kafka topics to the phase\'s partitions, and a Job migrates each database role', () => {
      const d = all();
      const partitions = Math.max(...spec.streaming.topics.map((t) => t.partitions));
      expect(find(d, 'ConfigMap', 'jobs-config')!.data.KAFKA_TOPIC_PARTITIONS).toBe(String(partitions));
      expect(findJob(d, 'provision-topics')!.spec.template.spec.containers[0].args).toEqual(['services/provision-topics.mjs']);
      const sharded = spec.postgres.instances.filter((i) => i.role === 'orders').length > 1;
      const roles = ['orders', 'inventory', 'users', ...(sharded ? ['order-shard'] : [])];
      for (const role of roles) expect(findJob(d, `migrate-${role}`)!.spec.template.spec.containers[0].args).toEqual(['services/migrate.mjs', role]);
      // Named by the hash of their spec: a redeploy that changes them creates new Jobs (see rollouts.test.ts).
      for (const job of d.filter((x) => x.kind === 'Job')) expect(job.metadata.name).toMatch(/^(provision-topics|reshard|migrate-[a-z-]+)-[0-9a-f]{10}$/);
    });

    test('pods register in the gateway\'s target groups through TargetGroupBindings', () => {
      const bindings = all().filter((x) => x.kind === 'TargetGroupBinding');
      expect(bindings.map((b) => b.metadata.name).sort()).toEqual(
        Array.from({ length: spec.regions.length }, () => [...SERVICE_NAMES]).flat().sort(),
      );
      for (const b of bindings) expect(b.spec).toMatchObject({ targetType: 'ip', serviceRef: { name: b.metadata.name, port: 80 } });
    });

    test('every core object validates against the kubernetes-models schemas', () => {
      const failures: string[] = [];
      for (const d of all()) {
        const group = d.apiVersion.includes('/') ? `${d.apiVersion}` : d.apiVersion;
        // Custom resources: KEDA's are checked against their CRDs by the strict validation below.
        if (d.apiVersion.startsWith('elbv2.k8s.aws/') || d.apiVersion.startsWith('keda.sh/')) continue;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const models = require(`kubernetes-models/${group}`) as Record<string, new (o: unknown) => { validate(): void }>;
        try {
          new models[d.kind](d).validate();
        } catch (error) {
          failures.push(`${d.kind}/${d.metadata.name}: ${(error as Error).message}`);
        }
      }
      expect(failures).toEqual([]);
    });

    test('every core object validates strictly against the Kubernetes 1.35 API models, and KEDA\'s objects against its CRDs', () => {
      const python = requireTool('the Kubernetes 1.35 models', [path.join(ROOT, '.tools/k8s-schema/bin/python')], 'scripts/tools/install-k8s-schema.sh');
      const result = spawnSync(python, [path.join(ROOT, 'scripts/tools/k8s-validate.py'), ...manifestFiles(phase)], { encoding: 'utf8' });
      const report = JSON.parse(result.stdout) as { kubernetes_client: string; documents: { kind: string; name: string; errors?: string[]; skipped?: string }[] };
      expect(report.kubernetes_client).toMatch(/^35\./);
      const errors = report.documents.flatMap((d) => (d.errors ?? []).map((e) => `${d.kind}/${d.name}: ${e}`));
      expect(errors).toEqual([]);
      expect([...new Set(report.documents.filter((d) => d.skipped).map((d) => d.kind))]).toEqual(['TargetGroupBinding']);
      expect(result.status).toBe(0);
    });

    test('checkov\'s Kubernetes checks pass, and each skip carries its reason', () => {
      const checkov = requireTool('checkov', [path.join(ROOT, '.tools/venv/bin/checkov')], 'scripts/tools/install-checkov.sh');
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'checkov-'));
      try {
        for (const file of manifestFiles(phase)) {
          const out = execFileSync(checkov, ['-f', file, '--framework', 'kubernetes', '--compact', '--quiet', '--skip-download', '-o', 'json'], {
            cwd,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
            maxBuffer: 64 * 1024 * 1024,
          });
          const parsed = JSON.parse(out);
          const report = Array.isArray(parsed) ? parsed[0] : parsed;
          const failed = (report.results?.failed_checks ?? []).map((c: any) => `${c.check_id} ${c.resource}`);
          expect(failed).toEqual([]);
          const skipped = (report.results?.skipped_checks ?? []) as { check_id: string; check_result: { suppress_comment: string } }[];
          for (const s of skipped) expect(s.check_result.suppress_comment).toBe(MIRROR_MAKER_CHECKOV_SKIPS[s.check_id] ?? CHECKOV_SKIPS[s.check_id]);
          expect(report.summary.passed).toBeGreaterThan(0);
        }
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
});
