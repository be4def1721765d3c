/** The edge in front of the public API: what it caches, what it never does, its logs, its price, its spec. */
import { Match } from 'aws-cdk-lib/assertions';
import { PHASES } from '../../phases';
import { EDGE_MODEL, edgeCostLines } from '../../lib/cost/edge';
import { EDGE_CACHED_PATHS } from '../../lib/compute/edge';
import { ROUTE_CACHING } from '../../services/shared/http-caching';
import { template, templateJson } from './support/assembly';
import { copy, problems } from './support/specs';

type Behavior = { PathPattern?: string; CachePolicyId: unknown; OriginRequestPolicyId?: unknown; AllowedMethods: string[]; CachedMethods?: string[] };
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

function distribution(phase: '50k' | '70k' | '1m', stack = 'orders-use1-compute') {
  const resources = templateJson(phase, stack).Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const [dist] = Object.values(resources).filter((r) => r.Type === 'AWS::CloudFront::Distribution');
  const [policyId] = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudFront::CachePolicy').map(([id]) => id);
  return { config: dist.Properties.DistributionConfig, policy: resources[policyId].Properties.CachePolicyConfig, policyId };
}

describe('the edge', () => {
  test('phases before 50k have no edge; 50k and later put one in front of every region\'s API, built with the primary region', () => {
    for (const p of ['1k', '10k', '30k'] as const) expect(PHASES[p].compute.gateway?.edge).toBeUndefined();
    template('50k', 'orders-use1-compute').resourceCountIs('AWS::CloudFront::Distribution', 1);
    template('1m', 'orders-use1-compute').resourceCountIs('AWS::CloudFront::Distribution', 1);
    template('1m', 'orders-usw2-compute').resourceCountIs('AWS::CloudFront::Distribution', 0);
    template('1m', 'orders-euc1-compute').resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  test('only catalogue paths are cached, by a policy that honours the API\'s Cache-Control; everything else is never cached', () => {
    const { config, policy, policyId } = distribution('50k');
    const cached = (config.CacheBehaviors as Behavior[]).filter((b) => JSON.stringify(b.CachePolicyId).includes(policyId));
    expect(cached.map((b) => b.PathPattern).sort()).toEqual([...EDGE_CACHED_PATHS].sort());
    for (const b of cached) expect(b.CachedMethods).toEqual(['GET', 'HEAD']);
    // The paths cached are exactly the routes the services mark shared.
    const shared = Object.entries(ROUTE_CACHING).filter(([, c]) => c === 'shared').map(([r]) => r.split(' ')[1].replace(/:[a-zA-Z]+/g, '*'));
    expect(shared.sort()).toEqual([...EDGE_CACHED_PATHS].sort());
    // Checkout, orders, users, payments: the default behaviour, CachingDisabled, every method.
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe(CACHING_DISABLED);
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(expect.arrayContaining(['POST', 'PUT', 'DELETE', 'PATCH']));
    // No default TTL: an answer without Cache-Control is not kept; the key holds no cookie or header.
    expect(policy).toMatchObject({ DefaultTTL: 0, MinTTL: 0, MaxTTL: 300 });
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      QueryStringsConfig: { QueryStringBehavior: 'all' },
      HeadersConfig: { HeaderBehavior: 'none' },
      CookiesConfig: { CookieBehavior: 'none' },
    });
  });

  test('every request reaches the API over HTTPS with the viewer\'s headers but Host, and logs go to a bucket of their own', () => {
    const t = template('50k', 'orders-use1-compute');
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] }) })],
        DefaultCacheBehavior: Match.objectLike({ OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', ViewerProtocolPolicy: 'redirect-to-https' }),
        Logging: Match.objectLike({ Bucket: Match.anyValue(), Prefix: 'edge/' }),
        PriceClass: 'PriceClass_100',
      }),
    });
  });

  test('is priced at the capacity model\'s volume, with the API Gateway requests its hits save', () => {
    const lines = edgeCostLines(PHASES['50k']);
    const requests = 50_000 * 40 * (730 / 24);
    expect(lines.map((l) => [l.logicalId, Math.round(l.monthlyUsd * 100) / 100])).toEqual([
      ['Requests', Math.round((requests / 10_000) * EDGE_MODEL.requestsUsdPer10k * 100) / 100],
      ['Transfer', Math.round(((requests * EDGE_MODEL.bytesPerResponse) / 1e9) * EDGE_MODEL.transferUsdPerGb * 100) / 100],
      ['OriginRequestsSaved', Math.round(-requests * 0.27 * 1e-6 * EDGE_MODEL.apiRequestsUsdPerMillion * 100) / 100],
    ]);
    expect(edgeCostLines(PHASES['30k'])).toEqual([]);
  });

  test("the in-process cache is on from 50k (1,000 entries, 2 s), and the 'cache-in-process' rule names a size or bound outside its range", () => {
    for (const p of ['1k', '10k', '30k'] as const) expect(PHASES[p].cache.inProcess).toBeUndefined();
    for (const p of ['50k', '70k', '1m'] as const) expect(PHASES[p].cache.inProcess).toEqual({ entries: 1_000, ttlMs: 2_000 });
    const spec = copy('50k');
    spec.cache = { ...spec.cache, inProcess: { entries: 0, ttlMs: 50 } };
    const found = problems(spec);
    expect(found).toContain('cache.inProcess.entries = 0: must be a whole number from 1 to 1000000 (each entry is one product, kept in every instance)');
    expect(found).toContain('cache.inProcess.ttlMs = 50: must be whole milliseconds from 100 to 600000: the longest a product change may take to be seen everywhere');
  });

  test("the 'edge' rule: a spec with a hit share outside 0-100 or a TTL CloudFront refuses fails, naming the field", () => {
    const spec = copy('50k');
    spec.compute = { ...spec.compute, gateway: { ...spec.compute.gateway, edge: { priceClass: 'PriceClass_100', expectedHitPercent: 120, maxTtlSeconds: 0, originProtection: true } } };
    const found = problems(spec);
    expect(found).toContain('compute.gateway.edge.expectedHitPercent = 120: must be from 0 to 100');
    expect(found).toContain('compute.gateway.edge.maxTtlSeconds = 0: must be a whole number of seconds from 1 to 31536000 (CloudFront\'s limit)');
  });
});
