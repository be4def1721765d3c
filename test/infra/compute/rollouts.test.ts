/**
 * Rollouts without a failed request, as the charts and the app servers' boot script declare them:
 * configuration that rolls the pods when (and only when) it changes, Jobs a redeploy can replace,
 * and shutdown timings that fit inside each other.
 */
import * as cdk8s from 'cdk8s';
import { PHASES, PHASE_NAMES } from '../../../phases';
import { stackNames, templateJson } from '../support/assembly';
import { ChartBindings, CONFIG_HASH_ANNOTATION, JobsChart, ServicesChart, stableHash } from '../../../lib/k8s/services-chart';
import { PRE_STOP_SECONDS, PROCESS_STOP_SECONDS, SHUTDOWN, SYSTEMD_STOP_TIMEOUT_SECONDS, TERMINATION_GRACE_SECONDS } from '../../../lib/compute/shutdown';
import { NGINX_DRAIN_DROP_IN, renderAppServerScript } from '../../../lib/compute/user-data';
import { loadConfig } from '../../../services/shared/config';
import { stopBoundMs, STOP_OVERHEAD_MS, SUPERVISOR_MARGIN_MS } from '../../../services/shared/shutdown';

type Obj = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const spec = PHASES['50k'];

function bindings(over: Partial<ChartBindings> = {}): ChartBindings {
  return {
    image: 'registry.example/orders:build-1',
    environment: { ORDERS_DB_URL: 'postgres://orders.example/orders', INVENTORY_DB_URL: 'postgres://inventory.example/inventory', USERS_DB_URL: 'postgres://users.example/users', LOG_LEVEL: 'info' },
    secretArns: 'pg=arn:aws:secretsmanager:us-east-1:111111111111:secret:pg',
    vpcCidr: '10.0.0.0/16',
    trafficSources: { loadBalancer: ['10.0.32.0/19', '10.0.64.0/19'], scraper: ['10.0.32.0/19'] },
    loadBalancer: { securityGroupId: 'sg-0123', targetGroupArns: { order: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/order/1' } },
    ...over,
  };
}

function synth(b: ChartBindings): Obj[] {
  const app = new cdk8s.App();
  new ServicesChart(app, 'Services', spec, b);
  new JobsChart(app, 'Jobs', spec, b);
  return app.charts.flatMap((c) => c.toJson() as Obj[]);
}

const configHashes = (objs: Obj[]) =>
  Object.fromEntries(objs.filter((o) => o.kind === 'Deployment').map((d) => [d.metadata.name, d.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION] as string]));
const jobNames = (objs: Obj[]) => objs.filter((o) => o.kind === 'Job').map((j) => j.metadata.name).sort();

describe('configuration changes roll the pods', () => {
  test('each Deployment\'s pod template carries the hash of its ConfigMap\'s data', () => {
    const objs = synth(bindings());
    for (const d of objs.filter((o) => o.kind === 'Deployment')) {
      const map = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${d.metadata.name}-config`)!;
      expect([d.metadata.name, d.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]]).toEqual([d.metadata.name, stableHash(map.data)]);
    }
  });

  test('the same configuration gives the same hashes on every synthesis', () => {
    expect(configHashes(synth(bindings()))).toEqual(configHashes(synth(bindings())));
  });

  test('a changed variable changes every hash of a pod that reads it', () => {
    const before = configHashes(synth(bindings()));
    const after = configHashes(synth(bindings({ environment: { ...bindings().environment, LOG_LEVEL: 'debug' } })));
    for (const name of Object.keys(before)) expect([name, after[name] === before[name]]).toEqual([name, false]);
  });

  test('a change outside the configuration (a new image, other target groups) leaves the hashes alone', () => {
    const before = configHashes(synth(bindings()));
    expect(configHashes(synth(bindings({ image: 'registry.example/orders:build-2' })))).toEqual(before);
    expect(configHashes(synth(bindings({ loadBalancer: { securityGroupId: 'sg-9', targetGroupArns: {} } })))).toEqual(before);
  });

  test('deploy-time values are hashed in their stable written form', () => {
    // A token prints differently on each synthesis; the chart hashes what `describe` writes.
    const withToken = (n: number) => bindings({ environment: { ...bindings().environment, KAFKA_BROKERS: `\${Token[TOKEN.${n}]}` }, describe: (v) => v.replace(/\$\{Token\[TOKEN\.\d+\]\}/g, '<Brokers.Value>') });
    expect(configHashes(synth(withToken(101)))).toEqual(configHashes(synth(withToken(977))));
  });
});

describe('Jobs a redeploy can replace', () => {
  test('a Job is named by its role and the hash of its spec', () => {
    const names = jobNames(synth(bindings()));
    const sharded = spec.postgres.instances.filter((i) => i.role === 'orders').length > 1;
    const roles = ['provision-topics', 'migrate-orders', 'migrate-inventory', 'migrate-users', ...(sharded ? ['migrate-order-shard', 'reshard'] : []), ...(spec.documentDb.elasticCluster ? ['migrate-order-activity'] : [])];
    expect(names.map((n) => n.replace(/-[0-9a-f]{10}$/, '')).sort()).toEqual(roles.sort());
    for (const n of names) expect(n.length).toBeLessThanOrEqual(63);
  });

  test('an unchanged deploy re-applies the same Jobs (a no-op)', () => {
    expect(jobNames(synth(bindings()))).toEqual(jobNames(synth(bindings())));
  });

  test('a new image or a changed configuration names new Jobs, so an immutable pod template never blocks the deploy', () => {
    const before = jobNames(synth(bindings()));
    for (const changed of [bindings({ image: 'registry.example/orders:build-2' }), bindings({ environment: { ...bindings().environment, LOG_LEVEL: 'warn' } })]) {
      const after = jobNames(synth(changed));
      expect(after.filter((n) => before.includes(n))).toEqual([]);
    }
  });

  test('labels and selectors keep the plain name, so policies and logs find the Job whatever its hash', () => {
    const objs = synth(bindings());
    for (const job of objs.filter((o) => o.kind === 'Job')) {
      const plain = job.metadata.name.replace(/-[0-9a-f]{10}$/, '');
      expect(job.spec.template.metadata.labels['app.kubernetes.io/name']).toBe(plain);
      expect(objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === plain)).toBeDefined();
    }
  });
});

describe('shutdown timings fit inside each other', () => {
  test('the pods\' preStop sleep outlasts the target group\'s whole draining', () => {
    expect(PRE_STOP_SECONDS).toBeGreaterThanOrEqual(SHUTDOWN.deregistrationDelaySeconds + SHUTDOWN.propagationSeconds);
  });

  test('the kubelet waits for the preStop sleep and the process\'s bounded stop before SIGKILL', () => {
    const cfg = loadConfig({ ORDERS_DB_URL: 'postgres://h/o', INVENTORY_DB_URL: 'postgres://h/i', USERS_DB_URL: 'postgres://h/u', SHUTDOWN_GRACE_MS: String(SHUTDOWN.graceSeconds * 1000) });
    expect(PROCESS_STOP_SECONDS * 1000).toBe(stopBoundMs(cfg));
    expect(TERMINATION_GRACE_SECONDS).toBeGreaterThan(PRE_STOP_SECONDS + stopBoundMs(cfg) / 1000);
  });

  test('systemd waits for the supervisor, which waits for its workers', () => {
    expect(SYSTEMD_STOP_TIMEOUT_SECONDS * 1000).toBeGreaterThan(SHUTDOWN.graceSeconds * 1000 + STOP_OVERHEAD_MS + SUPERVISOR_MARGIN_MS);
  });

  test.each(PHASE_NAMES.filter((p) => PHASES[p].compute.monolith || PHASES[p].compute.ec2Services))(
    'phase %s: app servers are drained for longer than Nginx holds a request before the Auto Scaling group shuts them down',
    (phase) => {
      const groups = stackNames(phase)
        .filter((n) => n.endsWith('-compute'))
        .flatMap((n) => Object.values(templateJson(phase, n).Resources ?? {}))
        .filter((r: any) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && r.Properties.TargetType === 'instance');
      expect(groups.length).toBeGreaterThan(0);
      const longest = PHASES[phase].compute.monolith?.nginx.upstreamTimeoutSeconds ?? 0;
      for (const g of groups as any[]) {
        const delay = Number(g.Properties.TargetGroupAttributes.find((a: any) => a.Key === 'deregistration_delay.timeout_seconds').Value);
        expect([delay, g.Properties.HealthCheckPath]).toEqual([SHUTDOWN.deregistrationDelaySeconds, '/readyz']);
        expect(delay).toBeGreaterThanOrEqual(longest);
      }
    },
  );

  test('the app servers stop Nginx first and gracefully, then the service, within the planned timeouts', () => {
    const script = renderAppServerScript({
      entry: 'monolith',
      bundleUrl: 's3://bucket/bundle.zip',
      environment: {},
      secretArns: '',
      nginxConfig: 'events {}\n',
      remoteWriteUrl: 'https://aps.example/api/v1/remote_write',
      region: 'us-east-1',
      labels: {},
      port: 3000,
    });
    expect(script).toContain('Before=nginx.service');
    expect(script).toContain(`TimeoutStopSec=${SYSTEMD_STOP_TIMEOUT_SECONDS}\nKillSignal=SIGTERM\nKillMode=mixed`);
    expect(script).toContain(`SHUTDOWN_GRACE_MS="${SHUTDOWN.graceSeconds * 1000}"`);
    expect(script).toContain(`/etc/systemd/system/nginx.service.d/drain.conf <<'NGINX_DRAIN'\n${NGINX_DRAIN_DROP_IN}\nNGINX_DRAIN`);
    expect(NGINX_DRAIN_DROP_IN).toContain('KillSignal=SIGQUIT');
  });
});
