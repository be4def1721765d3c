import { SHUTDOWN, shutdownEnvironment, SYSTEMD_STOP_TIMEOUT_SECONDS } from './shutdown';
import type { ServiceEnvironment } from './app-environment';

/** Prometheus release the app servers run in agent mode (scrape locally, remote-write to Amazon Managed Prometheus). */
const PROMETHEUS_VERSION = '3.5.0';

/**
 * Where the services' supervisor serves the summed metrics of its workers on an app server
 * (services/supervisor.ts). App servers run a worker per vCPU (`PROCESSES=auto`): one Node.js
 * process uses one core, so a 2-vCPU server running one could never reach its scaling target.
 * Pods run one process each (their CPU is the pod's request), so EKS leaves the default of 1.
 */
export const APP_METRICS_PORT = 9464;

/** Node.js major version on the app servers; the container image uses the same. */
const NODE_MAJOR = 22;

/** What an app server runs. */
export interface AppServerScript {
  /** Bundle entry point, e.g. `monolith` or `order` (services/build.ts ENTRIES). */
  readonly entry: string;
  /** The zip of the bundles in S3. */
  readonly bundleUrl: string;
  /** The process's environment. Values may hold CloudFormation tokens; none may hold a newline. */
  readonly environment: Readonly<ServiceEnvironment>;
  /** `name=arn ...` pairs fetch-secrets.sh writes before each start. */
  readonly secretArns: string;
  /** nginx.conf, when Nginx fronts the Node process on this host. */
  readonly nginxConfig?: string;
  /** Amazon Managed Prometheus remote-write URL. */
  readonly remoteWriteUrl: string;
  /** The region, for SigV4 signing. */
  readonly region: string;
  /** Labels every scraped series carries. */
  readonly labels: Readonly<Record<string, string>>;
  /** The port the Node process listens on. */
  readonly port: number;
  /**
   * Tools run before each start (bundle names, e.g. `migrate`, `provision-topics`); each must be
   * idempotent and safe to run from several servers at once.
   */
  readonly beforeStart?: readonly string[];
}

/**
 * What every app server runs before its service: the schema of every database and shard (under
 * an advisory lock) and the Kafka topics grown to the phase's partitions (never shrunk). The
 * EKS phases run the same tools as Jobs.
 */
export const BEFORE_START = ['migrate', 'provision-topics'] as const;

function environmentFile(env: Readonly<Record<string, string>>): string {
  return Object.keys(env)
    .sort()
    .map((k) => `${k}="${env[k]}"`)
    .join('\n');
}

function unit(s: AppServerScript): string {
  // Stopped after Nginx (the reverse of Before=), so that Nginx finishes the requests it holds
  // while the service still answers. SIGTERM goes to the supervisor alone (KillMode=mixed), which
  // lets its workers finish their requests in flight; systemd waits for that, then kills.
  return `[Unit]
Description=Order platform ${s.entry}
After=network-online.target
Wants=network-online.target
${s.nginxConfig !== undefined ? 'Before=nginx.service\n' : ''}StartLimitIntervalSec=0

[Service]
Type=simple
User=orders
Group=orders
EnvironmentFile=/etc/orders/app.env
Environment=SECRETS_DIR=/run/orders/secrets
Environment=NODE_EXTRA_CA_CERTS=/etc/pki/tls/certs/rds-global-bundle.pem
RuntimeDirectory=orders
RuntimeDirectoryMode=0700
ExecStartPre=/bin/sh /opt/orders/app/fetch-secrets.sh
${(s.beforeStart ?? []).map((tool) => `ExecStartPre=/usr/local/bin/orders-node /opt/orders/app/launch.js services/${tool}.mjs\n`).join('')}ExecStart=/usr/local/bin/orders-node /opt/orders/app/launch.js services/${s.entry}.mjs
Restart=always
RestartSec=2
TimeoutStopSec=${SYSTEMD_STOP_TIMEOUT_SECONDS}
KillSignal=SIGTERM
KillMode=mixed
LimitNOFILE=65536
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
PrivateDevices=true
ReadWritePaths=/run/orders

[Install]
WantedBy=multi-user.target`;
}

function prometheusConfig(s: AppServerScript): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}: "${s.labels[k]}"`)
    .join(', ');
  return `global:
  scrape_interval: 30s
  external_labels: { ${labels} }
scrape_configs:
  - job_name: orders
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:${APP_METRICS_PORT}"]
remote_write:
  - url: "${s.remoteWriteUrl}"
    sigv4:
      region: "${s.region}"`;
}

/**
 * Nginx stops gracefully (SIGQUIT: no new connections, requests in flight finished) and is given
 * the services' grace to do it. By then the Auto Scaling group has drained the server from its
 * target group, so this only covers what an operator's stop or a reboot catches mid-request.
 */
export const NGINX_DRAIN_DROP_IN = `[Service]
KillSignal=SIGQUIT
TimeoutStopSec=${SHUTDOWN.graceSeconds}`;

const PROMETHEUS_UNIT = `[Unit]
Description=Prometheus agent (scrapes this host, writes to Amazon Managed Prometheus)
After=network-online.target

[Service]
User=prometheus
ExecStart=/usr/local/bin/prometheus --agent --config.file=/etc/prometheus/agent.yml --storage.agent.path=/var/lib/prometheus-agent --web.listen-address=127.0.0.1:9090
Restart=always
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=/var/lib/prometheus-agent

[Install]
WantedBy=multi-user.target`;

/**
 * The boot script of an app server (Amazon Linux 2023): installs Node.js, Nginx when it fronts
 * the process, and the Prometheus agent; unpacks the bundles from S3; writes the environment
 * and the systemd units; starts everything; then waits until the service answers its
 * readiness check, so that CloudFormation's rolling update only proceeds past a healthy server.
 */
export function renderAppServerScript(s: AppServerScript): string {
  const nginx = s.nginxConfig !== undefined;
  const readyUrl = nginx ? 'http://127.0.0.1/readyz' : `http://127.0.0.1:${s.port}/readyz`;
  return `set -euo pipefail
dnf install -y nodejs${NODE_MAJOR} unzip aws-cfn-bootstrap${nginx ? ' nginx' : ''}
ln -sf "$(command -v node-${NODE_MAJOR} || command -v node)" /usr/local/bin/orders-node
curl -fsSL --retry 5 -o /etc/pki/tls/certs/rds-global-bundle.pem https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem

id orders >/dev/null 2>&1 || useradd --system --home-dir /opt/orders --shell /sbin/nologin orders
install -d -m 0755 /opt/orders/app /etc/orders
aws s3 cp --only-show-errors '${s.bundleUrl}' /tmp/bundle.zip
unzip -q -o /tmp/bundle.zip -d /opt/orders/app && rm -f /tmp/bundle.zip
chmod -R a+rX /opt/orders/app

cat > /etc/orders/app.env <<'ORDERS_ENV'
${environmentFile({ ...s.environment, ...shutdownEnvironment(), PROCESSES: 'auto', METRICS_PORT: String(APP_METRICS_PORT), SECRET_ARNS: s.secretArns })}
ORDERS_ENV
chmod 0640 /etc/orders/app.env && chgrp orders /etc/orders/app.env

cat > /etc/systemd/system/orders-app.service <<'ORDERS_UNIT'
${unit(s)}
ORDERS_UNIT
${
  nginx
    ? `
cat > /etc/nginx/nginx.conf <<'NGINX_CONF'
${s.nginxConfig.trimEnd()}
NGINX_CONF
nginx -t
install -d /etc/systemd/system/nginx.service.d
cat > /etc/systemd/system/nginx.service.d/drain.conf <<'NGINX_DRAIN'
${NGINX_DRAIN_DROP_IN}
NGINX_DRAIN
systemctl daemon-reload
systemctl enable --now nginx
`
    : ''
}
arch="$(uname -m | sed -e 's/aarch64/arm64/' -e 's/x86_64/amd64/')"
release="prometheus-${PROMETHEUS_VERSION}.linux-$arch"
base="https://github.com/prometheus/prometheus/releases/download/v${PROMETHEUS_VERSION}"
curl -fsSL --retry 5 -o "/tmp/$release.tar.gz" "$base/$release.tar.gz"
curl -fsSL --retry 5 -o /tmp/prometheus.sha256 "$base/sha256sums.txt"
(cd /tmp && grep " $release.tar.gz\\$" prometheus.sha256 | sha256sum -c -)
tar -xzf "/tmp/$release.tar.gz" -C /tmp && install -m 0755 "/tmp/$release/prometheus" /usr/local/bin/prometheus
id prometheus >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin prometheus
install -d -o prometheus -g prometheus /var/lib/prometheus-agent /etc/prometheus
cat > /etc/prometheus/agent.yml <<'PROMETHEUS_CONF'
${prometheusConfig(s)}
PROMETHEUS_CONF
cat > /etc/systemd/system/prometheus-agent.service <<'PROMETHEUS_UNIT'
${PROMETHEUS_UNIT}
PROMETHEUS_UNIT

systemctl daemon-reload
systemctl enable --now orders-app prometheus-agent
for attempt in $(seq 1 60); do
  if curl -fsS -o /dev/null '${readyUrl}'; then exit 0; fi
  sleep 5
done
echo 'orders-app did not become ready within 300 s' >&2
exit 1
`;
}
