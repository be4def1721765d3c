import * as aps from 'aws-cdk-lib/aws-aps';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eksl1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { METRICS_PATH, SERVICE_PORT } from '../compute/routes';
import { SUBNET_GROUPS } from '../constructs/network';
import { POD_SCRAPE_JOB } from './predictive-scaling';
import { NAMESPACE, SCRAPER_USER } from './services-chart';

/** Props for {@link addPrometheusScraper}. */
export interface PrometheusScraperProps {
  readonly cluster: eks.Cluster;
  /** The cluster's name, the `cluster` label of every series. */
  readonly clusterName: string;
  readonly vpc: ec2.IVpc;
  /** The Prometheus workspace the scraper writes to. */
  readonly workspace: aps.CfnWorkspace;
  /** The namespaces whose annotated pods are scraped. */
  readonly namespaces: readonly string[];
}

/**
 * An Amazon Managed Prometheus scraper that reads every annotated pod's /metrics in the given
 * namespaces: its security group (`ScraperSecurityGroup`, let in to the pods and the API server),
 * the scraper (`Scraper`) in the ingress subnets and its cluster access entry (`ScraperAccess`),
 * all in `scope`. Returns the security group.
 */
export function addPrometheusScraper(scope: Construct, props: PrometheusScraperProps): ec2.SecurityGroup {
  const { cluster, vpc } = props;
  const securityGroup = new ec2.SecurityGroup(scope, 'ScraperSecurityGroup', {
    vpc,
    description: 'Amazon Managed Prometheus scraper: to the cluster API and pods',
    allowAllOutbound: true,
  });
  cluster.clusterSecurityGroup.addIngressRule(securityGroup, ec2.Port.tcp(SERVICE_PORT), 'Prometheus scraper to pods');
  cluster.clusterSecurityGroup.addIngressRule(securityGroup, ec2.Port.tcp(443), 'Prometheus scraper to the API server');
  const scraper = new aps.CfnScraper(scope, 'Scraper', {
    alias: 'orders-eks',
    source: {
      eksConfiguration: {
        clusterArn: cluster.clusterArn,
        // Not the pods' subnets: the pods' NetworkPolicies admit the scraper by these subnets' CIDRs.
        subnetIds: vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.ingress }).subnetIds,
        securityGroupIds: [securityGroup.securityGroupId],
      },
    },
    destination: { ampConfiguration: { workspaceArn: props.workspace.attrArn } },
    scrapeConfiguration: { configurationBlob: scrapeConfig(props.clusterName, props.namespaces) },
  });
  new eksl1.CfnAccessEntry(scope, 'ScraperAccess', {
    clusterName: cluster.clusterName,
    principalArn: scraper.attrRoleArn,
    username: SCRAPER_USER,
    type: 'STANDARD',
  });
  return securityGroup;
}

/** Prometheus scrape configuration of the managed scraper: pods in `namespaces` that opt in by annotation. */
export function scrapeConfig(clusterName: string, namespaces: readonly string[] = [NAMESPACE]): string {
  return `global:
  scrape_interval: 30s
  external_labels:
    cluster: ${clusterName}
scrape_configs:
  - job_name: ${POD_SCRAPE_JOB}
    kubernetes_sd_configs:
      - role: pod
        namespaces:
          names: [${namespaces.join(', ')}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
        replacement: $1
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
        target_label: service
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
    metrics_path: ${METRICS_PATH}
`;
}
