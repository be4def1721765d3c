import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { PHASES, PHASE_NAMES, PhaseName, RegionName, SERVICE_NAMES } from '../../phases';
import { SUBNET_GROUPS } from '../../lib/constructs/network';
import { MANIFEST_DIR } from '../../lib/k8s/review-manifests';
import { regionalStackName } from '../../lib/naming';
import { deploymentTemplates } from '../../lib/review/reachability';
import { cidrContains } from '../../lib/review/reachability/cidr';
import { Deployment, ResourceRef, refKey } from '../../lib/review/reachability/deployment';
import { assemblyDir, phaseAssembly } from './support/assembly';

type Doc = { kind: string; metadata: { name: string }; spec?: any };

const eksPhases = PHASE_NAMES.filter((name) => PHASES[name].compute.eks);

const overlap = (a: string, b: string) => cidrContains(a, b) || cidrContains(b, a);

/** The CIDRs every ingress rule of a service's NetworkPolicy admits by address, in one region's manifests. */
function admittedCidrs(phase: PhaseName, region: RegionName): Map<string, string[]> {
  const file = path.join(assemblyDir(), phase, MANIFEST_DIR, `${regionalStackName(region, 'compute')}.yaml`);
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc);
  return new Map(
    SERVICE_NAMES.map((name) => {
      const policy = docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === name)!;
      return [name, policy.spec.ingress.flatMap((rule: any) => rule.from.filter((peer: any) => peer.ipBlock).map((peer: any) => peer.ipBlock.cidr as string))];
    }),
  );
}

/** A phase's templates, with cross-stack references resolved. */
function deployment(phase: PhaseName): Deployment {
  return new Deployment(deploymentTemplates(phaseAssembly(phase)));
}

function cidrOf(d: Deployment, subnet: ResourceRef): string {
  const resource = d.resource(subnet)!;
  return d.literal(subnet.stack, resource.properties.CidrBlock)!;
}

/** Where pods get their addresses (the VPC CNI gives each pod one from its node's subnet): the node groups' subnets. */
function podSubnets(d: Deployment, region: RegionName): ResourceRef[] {
  const compute = regionalStackName(region, 'compute');
  const nodegroups = d.resources('AWS::EKS::Nodegroup').filter((n) => n.ref.stack === compute);
  expect(nodegroups.length).toBeGreaterThan(0);
  return nodegroups.flatMap((n) => d.attributes(compute, n.properties.Subnets).map((a) => a.ref));
}

/** The region's ingress subnets, by their subnet group. */
function ingressSubnets(d: Deployment, region: RegionName): ResourceRef[] {
  return d
    .resources('AWS::EC2::Subnet')
    .filter((s) => s.ref.stack === regionalStackName(region, 'network'))
    .filter((s) => ((s.properties.Tags ?? []) as { Key: string; Value: string }[]).some((t) => t.Key === 'aws-cdk:subnet-name' && t.Value === SUBNET_GROUPS.ingress))
    .map((s) => s.ref);
}

/** Every resource of a phase whose properties name one of `subnets`. */
function resourcesNaming(phase: PhaseName, d: Deployment, subnets: readonly ResourceRef[]): { type: string; path: string }[] {
  const keys = new Set(subnets.map(refKey));
  const names = (stack: string, value: unknown): boolean => {
    if (Array.isArray(value)) return value.some((v) => names(stack, v));
    if (typeof value !== 'object' || value === null) return false;
    const [key] = Object.keys(value);
    if (key === 'Ref' || key.startsWith('Fn::')) return d.attributes(stack, value).some((a) => keys.has(refKey(a.ref)));
    return Object.values(value).some((v) => names(stack, v));
  };
  return deploymentTemplates(phaseAssembly(phase)).stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => names(stack.name, resource.Properties ?? {}))
      .map(([id, resource]) => ({ type: resource.Type, path: d.describe({ stack: stack.name, id }) })),
  );
}

describe('pod isolation: NetworkPolicies admit callers, never every pod', () => {
  describe.each(eksPhases)('phase %s', (phase) => {
    const spec = PHASES[phase];

    test.each(spec.regions.map((r) => r.region))('in %s, no service admits by address a CIDR that holds a pod (the node groups\' subnets)', (region) => {
      const d = deployment(phase);
      const pods = [...new Set(podSubnets(d, region).map((s) => cidrOf(d, s)))];
      expect(pods.length).toBeGreaterThan(0);
      for (const [name, cidrs] of admittedCidrs(phase, region)) {
        expect([name, cidrs.length > 0]).toEqual([name, true]);
        for (const cidr of cidrs) expect([name, cidr, pods.filter((pod) => overlap(cidr, pod))]).toEqual([name, cidr, []]);
      }
    });

    test.each(spec.regions.map((r) => r.region))('in %s, the addresses admitted are exactly the ingress subnets, which hold the load balancer and the scraper and nothing else', (region) => {
      const d = deployment(phase);
      const ingress = ingressSubnets(d, region);
      expect(ingress).toHaveLength(spec.regions.find((r) => r.region === region)!.availabilityZones.length);
      const cidrs = ingress.map((s) => cidrOf(d, s)).sort();
      for (const [name, admitted] of admittedCidrs(phase, region)) expect([name, [...admitted].sort()]).toEqual([name, cidrs]);
      // Their own route table associations, and the two things that reach pods by address.
      const users = resourcesNaming(phase, d, ingress).filter((r) => r.type !== 'AWS::EC2::SubnetRouteTableAssociation');
      expect(users.map((r) => r.type).sort()).toEqual(['AWS::APS::Scraper', 'AWS::ElasticLoadBalancingV2::LoadBalancer']);
      for (const subnet of podSubnets(d, region)) expect(ingress.map(refKey)).not.toContain(refKey(subnet));
    });
  });
});
