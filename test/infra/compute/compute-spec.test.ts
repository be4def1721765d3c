import { COMPUTE_RULES, PHASES, PHASE_NAMES, RULES, SERVICE_NAMES, loadPhase } from '../../../phases';
import { SideBySideError, sideBySide } from '../../../lib/compute/migration';
import { DOMAINS } from '../../../services/shared/config';
import { copy, problems } from '../support/specs';


const one = (phase: string, line: string) => `Phase spec "${phase}" is invalid (1 problem):\n  - ${line}`;

describe('compute in the phase specs', () => {
  test('the service names are the services codebase\'s domains, in its order', () => {
    expect([...SERVICE_NAMES]).toEqual([...DOMAINS]);
  });

  test('the roadmap\'s compute: 2 then 4 app servers, 8 services on their own groups, then EKS', () => {
    const kind = (n: keyof typeof PHASES) => Object.keys(PHASES[n].compute).sort().join('+');
    expect(PHASE_NAMES.map(kind)).toEqual(['monolith', 'monolith', 'ec2Services+gateway', 'eks+gateway', 'eks+gateway', 'eks+eventSourcing+gateway']);
    expect(PHASES['1k'].compute.monolith?.fleet.minInstances).toBe(2);
    expect(PHASES['10k'].compute.monolith?.fleet.minInstances).toBe(4);
    expect(PHASES['30k'].compute.ec2Services?.services.map((s) => s.name)).toEqual([...SERVICE_NAMES]);
    expect(PHASES['50k'].compute.eks?.kubernetesVersion).toBe('1.35');
  });

  test('every phase\'s monitoring carries the roadmap\'s thresholds, with the checkout target as the first baseline', () => {
    for (const name of PHASE_NAMES) {
      const m = PHASES[name].monitoring;
      expect([m.errorRatePercent, m.responseTimeFactor, m.replicationLagSeconds, m.unavailableSeconds, m.databaseCpuPercent, m.capacityTriggerPercent]).toEqual([
        1, 2, 5, 60, 70, 80,
      ]);
      expect(m.baselineResponseMs).toBe(PHASES[name].slo.checkoutResponseMs);
    }
  });

  test('each compute rule is in the phase rules table', () => {
    expect(COMPUTE_RULES.map((r) => r.id)).toEqual([
      'compute-front-door',
      'compute-gateway-backends',
      'compute-fleets',
      'compute-nginx',
      'compute-eks',
      'compute-eks-spot',
      'compute-predictive-scaling',
      'edge',
      'read-model-lag-alarm',
    ]);
    expect(RULES.filter((r) => COMPUTE_RULES.includes(r))).toEqual(COMPUTE_RULES);
  });
});

describe('compute validation rules', () => {
  test('a phase without a front door fails, naming the two ways to have one', () => {
    const spec = copy('1k');
    spec.compute = {};
    expect(problems(spec)).toBe(one('1k', 'compute = []: needs a front door: compute.monolith (Nginx and app servers) or compute.gateway (API Gateway)'));
  });

  test('weights must add up to 100 and name only backends that are present', () => {
    const spec = copy('30k');
    spec.compute.gateway.weights = { ec2Services: 60, eks: 30 };
    expect(problems(spec)).toBe(
      'Phase spec "30k" is invalid (2 problems):\n' +
        '  - compute.gateway.weights.eks = 30: compute.eks is absent, so it cannot take traffic\n' +
        '  - compute.gateway.weights = {"ec2Services":60,"eks":30}: must add up to 100 (they add up to 90)',
    );
  });

  test('a gateway with no service backend fails', () => {
    const spec = copy('30k');
    delete spec.compute.ec2Services;
    spec.compute.monolith = PHASES['10k'].compute.monolith;
    spec.compute.gateway.weights = { monolith: 100 };
    expect(problems(spec)).toBe(one('30k', 'compute.gateway = "no service backend": API Gateway routes to services: add compute.ec2Services or compute.eks'));
  });

  test('an app-server fleet of one fails: losing an AZ would leave no server', () => {
    const spec = copy('1k');
    spec.compute.monolith.fleet.minInstances = 1;
    expect(problems(spec)).toBe(one('1k', 'compute.monolith.fleet.minInstances = 1: must be a whole number of at least 2, so that losing one AZ leaves a server'));
  });

  test('a service missing from the per-service groups fails, naming it', () => {
    const spec = copy('30k');
    spec.compute.ec2Services.services = spec.compute.ec2Services.services.filter((s: { name: string }) => s.name !== 'payment');
    expect(problems(spec)).toMatch(/compute\.ec2Services\.services = \[.*\]: must list every service once; missing payment/);
  });

  test('an Nginx setting of zero fails', () => {
    const spec = copy('10k');
    spec.compute.monolith.nginx = { ...spec.compute.monolith.nginx, burstRequests: 0 };
    expect(problems(spec)).toBe(one('10k', 'compute.monolith.nginx.burstRequests = 0: must be a positive whole number'));
  });

  test('an HPA floor of one fails: the PodDisruptionBudget needs a second pod', () => {
    const spec = copy('50k');
    spec.compute.eks.services[0].minReplicas = 1;
    expect(problems(spec)).toBe(
      one('50k', 'compute.eks.services[user].minReplicas = {"min":1,"max":6}: must be a whole number from 2 (a PodDisruptionBudget keeps one up during node drains) to maxReplicas'),
    );
  });

  test('a cluster with only spot nodes fails', () => {
    const spec = copy('50k');
    spec.compute.eks.nodeGroups[0].capacityType = 'SPOT';
    spec.compute.eks.spot = { services: ['analytics'], jobs: [] };
    expect(problems(spec)).toBe(
      one('50k', 'compute.eks.nodeGroups = ["General"]: needs an ON_DEMAND group with at least 3 nodes (one per AZ) so that system pods survive spot reclaims'),
    );
  });

  test('a Kubernetes version the platform is not built for fails', () => {
    const spec = copy('50k');
    spec.compute.eks.kubernetesVersion = '1.34';
    expect(problems(spec)).toBe(one('50k', 'compute.eks.kubernetesVersion = "1.34": must be one of 1.35'));
  });

  test("'monitoring-thresholds': an unavailability threshold that is not whole minutes fails", () => {
    const spec = copy('1k');
    spec.monitoring = { ...spec.monitoring, unavailableSeconds: 90 };
    expect(problems(spec)).toBe(
      one('1k', 'monitoring.unavailableSeconds = 90: must be a whole number of minutes (CloudWatch evaluates load balancer health per minute)'),
    );
  });

  test('an HPA ceiling that shrinks from one phase to the next fails', () => {
    const spec = copy('70k');
    spec.compute.eks.services[2].maxReplicas = 4;
    expect(problems(spec, PHASES['50k'])).toBe(one('70k', 'compute.eks.services[order].maxReplicas = 4: phase 50k had 12; it must not shrink: a service\'s HPA ceiling never shrinks'));
  });

  test('dropping EKS after it was built fails', () => {
    const spec = copy('70k');
    delete spec.compute.eks;
    spec.compute.ec2Services = PHASES['30k'].compute.ec2Services;
    spec.compute.gateway.weights = { ec2Services: 100 };
    expect(problems(spec, PHASES['50k'])).toContain(
      'compute.eks = false: phase 50k had true; once the services run on Kubernetes, a later phase does not go back to EC2',
    );
  });
});

describe('side-by-side moves', () => {
  test('30k→50k at 10% keeps the EC2 services and sends a tenth of each path to EKS', () => {
    const step = sideBySide(PHASES['50k'], PHASES['30k'], 10);
    expect(step.compute.ec2Services).toEqual(PHASES['30k'].compute.ec2Services);
    expect(step.compute.eks).toEqual(PHASES['50k'].compute.eks);
    expect(step.compute.gateway?.weights).toEqual({ eks: 10, ec2Services: 90 });
    expect(() => loadPhase('50k', { ...PHASES, '50k': step })).not.toThrow();
  });

  test('10k→30k at 50% keeps the monolith behind API Gateway beside the services', () => {
    const step = sideBySide(PHASES['30k'], PHASES['10k'], 50);
    expect(step.compute.monolith).toEqual(PHASES['10k'].compute.monolith);
    expect(step.compute.gateway?.weights).toEqual({ ec2Services: 50, monolith: 50 });
    expect(() => loadPhase('30k', { ...PHASES, '30k': step })).not.toThrow();
  });

  test('a move between phases that run the same compute is refused', () => {
    expect(() => sideBySide(PHASES['70k'], PHASES['50k'], 10)).toThrow(new SideBySideError('phase 70k runs the same compute as 50k; there is nothing to move side by side'));
  });

  test('a percentage outside 0..100 is refused', () => {
    expect(() => sideBySide(PHASES['50k'], PHASES['30k'], 110)).toThrow('percentToNew = 110: must be a whole percentage from 0 to 100');
  });

  test('a phase without API Gateway cannot split traffic', () => {
    expect(() => sideBySide(PHASES['10k'], PHASES['1k'], 10)).toThrow('phase 10k has no API Gateway, so traffic cannot be split; a side-by-side step needs compute.gateway');
  });
});
