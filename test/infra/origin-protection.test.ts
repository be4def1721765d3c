/**
 * Origin protection: from 50k the API answers only what came through the edge. Proved in three
 * ways: the authorizer's own logic (every case that must pass or be refused), the code the
 * template inlines, run against Secrets Manager's protocol on loopback, and the path a request
 * takes through the synthesized templates (edge → origin name → each region's API → its routes).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PHASES, RegionName, loadPhase } from '../../phases';
import { ORIGIN_SECRET_NAME, ORIGIN_VERIFY_HEADER, AUTHORIZER_CACHE_SECONDS } from '../../lib/compute/origin-verification';
import { CHECKOUT_HEALTH_PATH } from '../../lib/compute/routes';
import { REPLICATED_FROM_TAG } from '../../lib/constructs/secret-replicas';
import { ShopDomain } from '../../lib/dns/names';
import { Platform, buildPlatform } from '../../lib/platform';
import * as runtime from '../../lib/compute/runtime/origin-verify';
import { templateJson } from './support/assembly';
import { cdkJsonContext } from './support/synth';

type Resource = { Type: string; Properties: Record<string, any> };
const ofType = (t: { Resources?: Record<string, unknown> }, type: string) =>
  Object.entries((t.Resources ?? {}) as Record<string, Resource>).filter(([, r]) => r.Type === type);

describe('the origin check (lib/compute/runtime/origin-verify.ts)', () => {
  const SECRET = 'a'.repeat(48);
  test('lets through the current and the previous value, and refuses a missing, empty, wrong or truncated one', async () => {
    const verify = runtime.originVerifier(() => Promise.resolve([SECRET, 'b'.repeat(48)]));
    const ask = (value?: string) => verify({ headers: value === undefined ? {} : { [runtime.ORIGIN_VERIFY_HEADER]: value } });
    expect(await ask(SECRET)).toEqual({ isAuthorized: true });
    expect(await ask('b'.repeat(48))).toEqual({ isAuthorized: true });
    for (const wrong of [undefined, '', 'c'.repeat(48), SECRET.slice(1), `${SECRET}a`]) expect(await ask(wrong)).toEqual({ isAuthorized: false });
    expect(await verify({})).toEqual({ isAuthorized: false });
  });

  test('reads the secret once a minute, at once after a value it does not know (a rotation), and keeps the last values when a read fails', async () => {
    let now = 0;
    let values = [SECRET];
    let reads = 0;
    let failing = false;
    const verify = runtime.originVerifier(
      () => {
        reads++;
        return failing ? Promise.reject(new Error('throttled')) : Promise.resolve(values);
      },
      () => now,
    );
    const ask = (value: string) => verify({ headers: { [runtime.ORIGIN_VERIFY_HEADER]: value } }).then((r) => r.isAuthorized);
    expect(await ask(SECRET)).toBe(true);
    now += 10_000;
    expect(await ask(SECRET)).toBe(true);
    expect(reads).toBe(1);
    // Rotated: the new value passes on its first request, the old one still passes (AWSPREVIOUS).
    values = ['n'.repeat(48), SECRET];
    now += 2_000;
    expect(await ask('n'.repeat(48))).toBe(true);
    expect(reads).toBe(2);
    expect(await ask(SECRET)).toBe(true);
    // A burst of wrong values reads at most once a second.
    for (let i = 0; i < 20; i++) expect(await ask(`wrong-${i}`)).toBe(false);
    expect(reads).toBe(2);
    now += 1_000;
    expect(await ask('wrong')).toBe(false);
    expect(reads).toBe(3);
    // Secrets Manager failing: the values read before keep serving.
    failing = true;
    now += runtime.SECRET_MAX_AGE_MS;
    expect(await ask('n'.repeat(48))).toBe(true);
    // Never read: refused (the authorizer fails, and API Gateway answers 500, never lets through).
    const cold = runtime.originVerifier(() => Promise.reject(new Error('unreachable')));
    await expect(cold({ headers: { [runtime.ORIGIN_VERIFY_HEADER]: SECRET } })).rejects.toThrow('unreachable');
  });

  test('the construct and the function agree on the header name', () => {
    expect(ORIGIN_VERIFY_HEADER).toBe(runtime.ORIGIN_VERIFY_HEADER);
  });
});

describe('the function as 50k inlines it, against Secrets Manager\'s protocol on loopback', () => {
  let server: http.Server;
  const versions: { current: string; previous?: string } = { current: 'first-value-000000000000000000000000000000000000' };
  const calls: { secretId?: string; stage?: string }[] = [];
  const saved = { ...process.env };
  let handler: (event: runtime.AuthorizerEvent) => Promise<{ isAuthorized: boolean }>;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { SecretId, VersionStage } = JSON.parse(body) as { SecretId: string; VersionStage?: string };
        calls.push({ secretId: SecretId, stage: VersionStage });
        const value = VersionStage === 'AWSPREVIOUS' ? versions.previous : versions.current;
        if (value === undefined) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS" }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ Name: SecretId, SecretString: value, VersionStages: [VersionStage ?? 'AWSCURRENT'] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALORIGINTEST',
      AWS_SECRET_ACCESS_KEY: 'local-only',
      ORIGIN_SECRET_ID: ORIGIN_SECRET_NAME,
    });
    // The inline code exactly as the template holds it, loaded as Lambda loads index.js (beside
    // node_modules, so that its AWS SDK import resolves as the runtime's does).
    const [[, fn]] = ofType(templateJson('50k', 'orders-use1-compute'), 'AWS::Lambda::Function').filter(([id]) => id.includes('OriginVerification'));
    expect(fn.Properties.Handler).toBe('index.handler');
    const dir = fs.mkdtempSync(path.join(__dirname, '..', '..', 'node_modules', '.origin-verify-'));
    fs.writeFileSync(path.join(dir, 'index.js'), fn.Properties.Code.ZipFile as string);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(path.join(dir, 'index.js')) as { handler: typeof handler }).handler;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterAll(() => {
    process.env = saved;
    server.close();
  });

  test('a secret never rotated (no AWSPREVIOUS) lets its value through and refuses others', async () => {
    expect(await handler({ headers: { [ORIGIN_VERIFY_HEADER]: versions.current } })).toEqual({ isAuthorized: true });
    expect(await handler({ headers: { [ORIGIN_VERIFY_HEADER]: 'x'.repeat(48) } })).toEqual({ isAuthorized: false });
    expect(await handler({ headers: {} })).toEqual({ isAuthorized: false });
    expect(calls.slice(0, 2)).toEqual([
      { secretId: ORIGIN_SECRET_NAME, stage: undefined },
      { secretId: ORIGIN_SECRET_NAME, stage: 'AWSPREVIOUS' },
    ]);
  });
});

const DOMAIN: ShopDomain = { domainName: 'shop.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };
let withDomain: Platform | undefined;
/** 70k (two regions) with the shop's domain, built once for this file. */
const platform70k = () => (withDomain ??= buildPlatform(new App({ context: cdkJsonContext() }), loadPhase('70k'), { domain: DOMAIN }));
const compute = (region: RegionName) => Template.fromStack(platform70k().regions.get(region)!.compute).toJSON();

/** Every API route of a compute template: its key, and whether it checks the origin header. */
function routes(t: { Resources?: Record<string, unknown> }) {
  const [authorizers] = [ofType(t, 'AWS::ApiGatewayV2::Authorizer')];
  return {
    authorizers: authorizers.map(([id, a]) => ({ id, ...a.Properties })),
    routes: ofType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => ({ key: r.Properties.RouteKey as string, type: r.Properties.AuthorizationType as string, authorizer: r.Properties.AuthorizerId })),
  };
}

describe('a request around the edge, through the templates', () => {
  test('phases before 50k have no edge and no origin check; from 50k every route but the checkout health path checks the header', () => {
    for (const p of ['1k', '10k', '30k'] as const) expect(PHASES[p].compute.gateway?.edge?.originProtection).toBeUndefined();
    for (const p of ['50k', '70k', '1m'] as const) expect(PHASES[p].compute.gateway?.edge?.originProtection).toBe(true);
    const { authorizers, routes: all } = routes(templateJson('50k', 'orders-use1-compute'));
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]).toMatchObject({ AuthorizerType: 'REQUEST', EnableSimpleResponses: true, IdentitySource: [`$request.header.${ORIGIN_VERIFY_HEADER}`], AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS });
    expect(all.length).toBeGreaterThan(10);
    for (const r of all) {
      if (r.key === `ANY ${CHECKOUT_HEALTH_PATH}`) expect([r.type, r.authorizer]).toEqual(['NONE', undefined]);
      else expect([r.key, r.type, r.authorizer]).toEqual([r.key, 'CUSTOM', { Ref: authorizers[0].id }]);
    }
  });

  test('the one distribution (in the primary region) adds the header from the origin secret; without a domain the secondaries have no edge and no check', () => {
    const distributions = (phase: '70k' | '1m', stack: string) => ofType(templateJson(phase, stack), 'AWS::CloudFront::Distribution');
    expect(distributions('1m', 'orders-use1-compute')).toHaveLength(1);
    for (const stack of ['orders-usw2-compute', 'orders-euc1-compute']) {
      expect(distributions('1m', stack)).toHaveLength(0);
      expect(routes(templateJson('1m', stack)).authorizers).toHaveLength(0);
    }
    const use1 = templateJson('1m', 'orders-use1-compute');
    const [[secretId, secret]] = ofType(use1, 'AWS::SecretsManager::Secret').filter(([, s]) => s.Properties.Name === ORIGIN_SECRET_NAME);
    const [[, dist]] = distributions('1m', 'orders-use1-compute');
    const [origin] = dist.Properties.DistributionConfig.Origins;
    expect(origin.OriginCustomHeaders).toEqual([{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] } }]);
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    // Replicated to every secondary, each reading its own copy.
    expect(secret.Properties.ReplicaRegions).toEqual([{ Region: 'us-west-2' }, { Region: 'eu-central-1' }]);
    expect(secret.Properties.Tags).toEqual(expect.arrayContaining([{ Key: REPLICATED_FROM_TAG, Value: 'orders-use1-compute' }]));
  });

  test('the first deploy of a move onto it (-c originProtection=off) builds the edge, its secret and the origin names, but no check on any route', () => {
    const held = buildPlatform(new App({ context: cdkJsonContext() }), loadPhase('50k'), { domain: DOMAIN, originProtectionHeld: true });
    const t = Template.fromStack(held.regions.get('us-east-1')!.compute).toJSON();
    expect(ofType(t, 'AWS::CloudFront::Distribution')).toHaveLength(1);
    expect(ofType(t, 'AWS::SecretsManager::Secret').filter(([, s]) => s.Properties.Name === ORIGIN_SECRET_NAME)).toHaveLength(1);
    expect(ofType(t, 'AWS::ApiGatewayV2::DomainName').map(([, d]) => d.Properties.DomainName)).toContain('origin.api.shop.example.com');
    const { authorizers, routes: all } = routes(t);
    expect(authorizers).toHaveLength(0);
    expect(new Set(all.map((r) => r.type))).toEqual(new Set(['NONE']));
  });

  test('with the domain: users call api.<domain> on the distribution (TLS 1.2), which forwards to origin.api.<domain>, routed with health checks to each region\'s API, all of which check the header', () => {
    const p = platform70k();
    const use1 = compute('us-east-1');
    const [[, dist]] = ofType(use1, 'AWS::CloudFront::Distribution');
    const config = dist.Properties.DistributionConfig;
    expect(config.Aliases).toEqual(['api.shop.example.com']);
    expect(config.ViewerCertificate).toMatchObject({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(config.Origins[0].DomainName).toBe('origin.api.shop.example.com');
    const [[certId, cert]] = ofType(use1, 'AWS::CertificateManager::Certificate');
    expect(config.ViewerCertificate.AcmCertificateArn).toEqual({ Ref: certId });
    expect(cert.Properties.DomainName).toBe('api.shop.example.com');
    expect(cert.Properties.SubjectAlternativeNames).toEqual(['us-east-1.api.shop.example.com', 'origin.api.shop.example.com']);

    const dns = Template.fromStack(p.dns!).toJSON();
    const records = ofType(dns, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties);
    const checks = new Map(ofType(dns, 'AWS::Route53::HealthCheck').map(([id, h]) => [h.Properties.HealthCheckConfig.FullyQualifiedDomainName.split('.')[0] as string, id]));
    for (const region of ['us-east-1', 'us-west-2'] as const) {
      const api = records.find((r) => r.Name === 'api.shop.example.com.' && r.SetIdentifier === region)!;
      const origin = records.find((r) => r.Name === 'origin.api.shop.example.com.' && r.SetIdentifier === region)!;
      // api.<domain> names the distribution; origin.api.<domain> the region's origin custom domain.
      expect(JSON.stringify(api.ResourceRecords)).toMatch(/EdgeB[0-9A-F]*DomainName|Edge.*DomainName/);
      expect(JSON.stringify(origin.ResourceRecords)).toContain('PublicNamesOriginDomain');
      expect(JSON.stringify(origin.ResourceRecords)).toContain(`"StackName":"orders-${region === 'us-east-1' ? 'use1' : 'usw2'}-compute"`);
      for (const r of [api, origin]) expect([r.Type, r.Region, r.TTL, r.HealthCheckId]).toEqual(['CNAME', region, '10', { Ref: checks.get(region) }]);

      // The region's origin custom domain maps to its API, whose routes check the header.
      const t = compute(region);
      const domains = ofType(t, 'AWS::ApiGatewayV2::DomainName').map(([id, d]) => [id, d.Properties.DomainName as string]);
      expect(domains.map(([, n]) => n).sort()).toEqual(['api.shop.example.com', 'origin.api.shop.example.com', `${region}.api.shop.example.com`]);
      const { authorizers, routes: all } = routes(t);
      expect(authorizers).toHaveLength(1);
      expect(all.filter((r) => r.type !== 'CUSTOM').map((r) => r.key)).toEqual([`ANY ${CHECKOUT_HEALTH_PATH}`]);
    }
    // The secondary's check reads the replica in its own region, by name.
    const usw2 = compute('us-west-2');
    const [[, fn]] = ofType(usw2, 'AWS::Lambda::Function').filter(([id]) => id.includes('OriginVerification'));
    expect(fn.Properties.Environment.Variables).toEqual({ ORIGIN_SECRET_ID: ORIGIN_SECRET_NAME });
    const policies = JSON.stringify(ofType(usw2, 'AWS::IAM::Policy').map(([, x]) => x.Properties.PolicyDocument));
    expect(policies).toContain(`:secretsmanager:us-west-2:`);
    expect(policies).toContain(`:secret:${ORIGIN_SECRET_NAME}-??????`);
    // It reads that secret and nothing else (no database credentials).
    for (const [, p] of ofType(usw2, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('GatewayOriginVerification'))) {
      const reads = (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'));
      expect(reads.map((st) => JSON.stringify(st.Resource))).toEqual([expect.stringContaining(`:secret:${ORIGIN_SECRET_NAME}-??????`)]);
    }
    expect(ofType(usw2, 'AWS::CloudFront::Distribution')).toHaveLength(0);
  });
});
