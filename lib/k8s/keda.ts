import * as aps from 'aws-cdk-lib/aws-aps';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eksl1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { KEDA_COMPONENT_MILLICORES } from '../../phases/capacity';
import { METRICS_PATH } from '../compute/routes';

/**
 * KEDA, from its official Helm repository: the chart release (which pins the same KEDA version,
 * tested on Kubernetes 1.33 to 1.35), the namespace and the operator's service account.
 */
export const KEDA = {
  chartVersion: '2.20.2',
  repository: 'https://kedacore.github.io/charts',
  namespace: 'keda',
  operatorAccount: 'keda-operator',
  /** The port the operator serves its Prometheus metrics on. */
  metricsPort: 8080,
} as const;

/** Props for {@link Keda}. */
export interface KedaProps {
  readonly cluster: eks.Cluster;
  /** The Prometheus workspace the forecasts are read from. */
  readonly workspace: aps.CfnWorkspace;
  /** The managed scraper's security group, let in to the operator's metrics port. */
  readonly scraperSecurityGroup: ec2.ISecurityGroup;
  /** Node labels the KEDA pods are scheduled on (the on-demand group: a spot reclaim would pause scaling). */
  readonly nodeSelector: Readonly<Record<string, string>>;
}

/**
 * KEDA (operator, metrics API server, admission webhooks) installed like the cluster's other
 * add-ons, with an IAM role for the operator through EKS Pod Identity that may only query this
 * region's Prometheus workspace (the SigV4 `aws` pod identity of the TriggerAuthentication), and
 * its operator's metrics annotated for the managed scraper.
 */
export class Keda extends Construct {
  readonly chart: eks.HelmChart;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: KedaProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'OperatorRole', {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
      description: `Pod Identity role of ${KEDA.namespace}/${KEDA.operatorAccount}: query the request rates in Prometheus`,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['aps:QueryMetrics'], resources: [props.workspace.attrArn] }));
    const identity = new eksl1.CfnPodIdentityAssociation(this, 'OperatorIdentity', {
      clusterName: props.cluster.clusterName,
      namespace: KEDA.namespace,
      serviceAccount: KEDA.operatorAccount,
      roleArn: this.role.roleArn,
    });
    props.cluster.clusterSecurityGroup.addIngressRule(props.scraperSecurityGroup, ec2.Port.tcp(KEDA.metricsPort), 'Prometheus scraper to the KEDA operator\'s metrics');

    const resources = { requests: { cpu: `${KEDA_COMPONENT_MILLICORES}m`, memory: '128Mi' }, limits: { cpu: '1', memory: '1000Mi' } };
    this.chart = props.cluster.addHelmChart('Chart', {
      chart: 'keda',
      repository: KEDA.repository,
      release: 'keda',
      version: KEDA.chartVersion,
      namespace: KEDA.namespace,
      createNamespace: true,
      // The ScaledObjects are applied after this: the CRDs and the admission webhook must be serving.
      wait: true,
      values: {
        nodeSelector: { ...props.nodeSelector },
        resources: { operator: resources, metricServer: resources, webhooks: resources },
        prometheus: { operator: { enabled: true, port: KEDA.metricsPort } },
        podAnnotations: {
          keda: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(KEDA.metricsPort), 'prometheus.io/path': METRICS_PATH },
        },
      },
    });
    // The operator's pod must find its role when it first starts.
    this.chart.node.addDependency(identity);
  }
}
