import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Continent, PhaseSpec, RegionName } from '../../phases';
import { CHECKOUT_HEALTH_PATH } from '../compute/routes';
import { shopZone } from '../dns/regional-entry';
import { ShopDomain, apiName, originApiName, regionalApiName } from '../dns/names';
import { AlarmTopics } from '../monitoring/alarm-topics';

/** The region Route 53 publishes its health checks' metrics in: the DNS stack and its alarms live there. */
export const ROUTE53_METRICS_REGION: RegionName = 'us-east-1';

/** Props for {@link DnsStack}. */
export interface DnsStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly domain: ShopDomain;
  /** Each region's front door: the DNS names its records point to. */
  readonly entries: ReadonlyMap<RegionName, RegionEntryNames>;
  /** The edge's DNS name, when the API sits behind one: `api.<domain>` then names it, and `origin.api.<domain>` the regions. */
  readonly edgeDnsName?: string;
  /** The alarm topic of us-east-1 (its telemetry stack), which the health checks' alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** An existing topic of us-east-1 they also notify (`-c alarmTopicArn=`). */
  readonly externalAlarmTopicArn?: string;
}

/** What one region's records point to ({@link RegionalEntry}). */
export interface RegionEntryNames {
  /** The region's API custom domain for `api.<domain>`. */
  readonly api: string;
  /** Behind the edge: the region's API custom domain for `origin.api.<domain>`. */
  readonly origin?: string;
}

/** A record's construct ID for a region: literal per region, so records never move between IDs. */
const REGION_IDS: Readonly<Record<RegionName, string>> = { 'us-east-1': 'UsEast1', 'us-west-2': 'UsWest2', 'eu-central-1': 'EuCentral1' };

/**
 * GeoDNS for the shop's API: `api.<domain>` routed by latency (or by the user's continent) to
 * each region's front door, each record tied to a Route 53 health check of that region's
 * checkout health path through its own name, so a region that cannot take checkouts leaves DNS
 * by itself within interval x threshold. The records are CNAMEs to each region's API with the
 * spec's short TTL (queries are billed, unlike an alias's, whose TTL would be its target's 60 s).
 * One record per region from the first phase on: adding a region adds a record and changes none.
 */
export class DnsStack extends Stack {
  /** Each region's health check. */
  readonly healthChecks = new Map<RegionName, route53.HealthCheck>();

  constructor(scope: Construct, id: string, props: DnsStackProps) {
    super(scope, id, props);
    const { spec, domain } = props;
    const zone = shopZone(this, domain);
    const routing = spec.dns.routing;
    const topics = new AlarmTopics(props.alarmTopic, props.externalAlarmTopicArn ? sns.Topic.fromTopicArn(this, 'ExternalAlarmTopic', props.externalAlarmTopicArn) : undefined);
    for (const region of spec.regions) {
      const entry = props.entries.get(region.region);
      if (!entry) throw new Error(`DnsStack: region ${region.region} has no front door`);
      const rid = REGION_IDS[region.region];
      const check = new route53.HealthCheck(this, `${rid}Health`, {
        type: route53.HealthCheckType.HTTPS,
        fqdn: regionalApiName(domain, region.region),
        port: 443,
        resourcePath: CHECKOUT_HEALTH_PATH,
        enableSNI: true,
        requestInterval: Duration.seconds(spec.dns.healthCheck.intervalSeconds),
        failureThreshold: spec.dns.healthCheck.failureThreshold,
      });
      this.healthChecks.set(region.region, check);
      // A CNAME, not an alias: an alias carries its target's 60 s TTL, and the TTL is how long users
      // keep reaching a failed region after Route 53 has moved on (the failover budget).
      const routed = (idPrefix: string, recordName: string, target: string) => {
        const common = { zone, recordName, domainName: target, ttl: Duration.seconds(spec.dns.ttlSeconds), healthCheck: check, setIdentifier: region.region };
        if (routing.policy === 'latency') {
          new route53.CnameRecord(this, idPrefix, { ...common, region: region.region, comment: `Latency: users nearest ${region.region}` });
          return;
        }
        const continents = (Object.entries(routing.continents) as [Continent, RegionName][]).filter(([, r]) => r === region.region);
        for (const [continent] of continents) {
          new route53.CnameRecord(this, `${idPrefix}${continent}`, {
            ...common,
            setIdentifier: `${region.region}-${continent}`,
            geoLocation: route53.GeoLocation.continent(continent as route53.Continent),
            comment: `Geolocation: users in ${continent}`,
          });
        }
        if (routing.defaultRegion === region.region) {
          new route53.CnameRecord(this, `${idPrefix}Default`, { ...common, setIdentifier: `${region.region}-default`, geoLocation: route53.GeoLocation.default(), comment: 'Geolocation: every other location' });
        }
      };
      if (props.edgeDnsName !== undefined) {
        // Behind the edge, `api.<domain>` names the distribution. Its records stay one per region,
        // each naming the edge: a set of routed CNAMEs cannot become one alias in a single deploy
        // (the two would exist at once), and all of them answer alike.
        if (!entry.origin) throw new Error(`DnsStack: region ${region.region} has no origin name behind the edge`);
        routed(`${rid}Api`, apiName(domain), props.edgeDnsName);
        // Where the edge forwards what it does not answer: the same routing and health checks, so
        // a region that cannot take checkouts stops receiving the edge's requests too.
        routed(`${rid}Origin`, originApiName(domain), entry.origin);
      } else {
        routed(`${rid}Api`, apiName(domain), entry.api);
      }
      const alarm = new cloudwatch.Alarm(this, `${rid}Unhealthy`, {
        alarmDescription:
          `${region.region} cannot take checkouts as Route 53 sees it (${CHECKOUT_HEALTH_PATH} through ${regionalApiName(domain, region.region)}): ` +
          'DNS sends its users elsewhere. If it is the primary region and stays down, run the failover (README: Failover).',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Route53',
          metricName: 'HealthCheckStatus',
          dimensionsMap: { HealthCheckId: check.healthCheckId },
          statistic: 'Minimum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      topics.notify(alarm);
    }
  }
}
