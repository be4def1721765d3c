import { NginxSpec } from '../../phases';
import { HEALTH_PATH, METRICS_PATH, READY_PATH, SERVICE_PORT } from './routes';

/** What nginx.conf needs beyond the spec. */
export interface NginxConfigOptions {
  /** The VPC's CIDR: the load balancer's addresses, whose X-Forwarded-For Nginx trusts. */
  readonly trustedProxyCidr: string;
  /**
   * Port of the Node process on the same host.
   * @default SERVICE_PORT
   */
  readonly upstreamPort?: number;
  /**
   * Paths of the error and access logs, and of the pid file (tests point them at a temp dir).
   * @default the Amazon Linux 2023 package's locations
   */
  readonly paths?: { readonly errorLog: string; readonly accessLog: string; readonly pid: string; readonly mimeTypes: string };
  /**
   * The `user` directive; omitted when undefined (tests run as the current user).
   * @default 'nginx'
   */
  readonly user?: string | null;
}

/** Seconds Nginx keeps an idle client connection: above the load balancer's 60 s, so the balancer closes first. */
const CLIENT_KEEPALIVE_SECONDS = 75;

/**
 * Renders nginx.conf for an app server: Nginx on port 80 in front of the Node process on
 * 127.0.0.1, with the client's address taken from the load balancer's X-Forwarded-For,
 * per-client rate limiting, request size and time limits, keep-alive to the upstream, and
 * /metrics kept off the public path. Deterministic: the same spec gives the same bytes.
 */
export function renderNginxConfig(spec: NginxSpec, options: NginxConfigOptions): string {
  const port = options.upstreamPort ?? SERVICE_PORT;
  const paths = options.paths ?? {
    errorLog: '/var/log/nginx/error.log',
    accessLog: '/var/log/nginx/access.log',
    pid: '/run/nginx.pid',
    mimeTypes: '/etc/nginx/mime.types',
  };
  const user = options.user === undefined ? 'nginx' : options.user;
  const proxy = [
    `proxy_pass http://app;`,
    `proxy_http_version 1.1;`,
    `proxy_set_header Connection "";`,
    `proxy_set_header Host $host;`,
    `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`,
    `proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;`,
    `proxy_set_header X-Request-Id $request_id;`,
    `proxy_connect_timeout 2s;`,
    `proxy_read_timeout ${spec.upstreamTimeoutSeconds}s;`,
    `proxy_send_timeout ${spec.upstreamTimeoutSeconds}s;`,
    // A POST that reached Node once must not be sent again: checkout is not idempotent without its key.
    `proxy_next_upstream off;`,
  ];
  const indent = (n: number, lines: string[]) => lines.map((l) => `${' '.repeat(n)}${l}`).join('\n');
  return `# Generated from the phase spec (compute.monolith.nginx) by lib/compute/nginx-config.ts. Do not edit.
${user ? `user ${user};\n` : ''}worker_processes auto;
worker_rlimit_nofile ${spec.workerConnections * 2};
pid ${paths.pid};
error_log ${paths.errorLog} warn;

events {
    worker_connections ${spec.workerConnections};
}

http {
    include ${paths.mimeTypes};
    default_type application/octet-stream;
    server_tokens off;

    log_format json escape=json '{"time":"$time_iso8601","client":"$remote_addr","method":"$request_method",'
                                '"uri":"$request_uri","status":$status,"bytes":$body_bytes_sent,'
                                '"request_time":$request_time,"upstream_time":"$upstream_response_time","request_id":"$request_id"}';
    access_log ${paths.accessLog} json;

    sendfile on;
    tcp_nopush on;
    keepalive_timeout ${CLIENT_KEEPALIVE_SECONDS}s;
    client_max_body_size ${spec.clientMaxBodyKiB}k;
    client_body_timeout 10s;
    client_header_timeout 10s;
    send_timeout 10s;

    gzip on;
    gzip_types application/json text/plain;
    gzip_min_length 1024;

    set_real_ip_from ${options.trustedProxyCidr};
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;

    limit_req_zone $binary_remote_addr zone=per_client:10m rate=${spec.requestsPerSecondPerClient}r/s;
    limit_req_status 429;

    upstream app {
        server 127.0.0.1:${port} max_fails=0;
        keepalive ${spec.upstreamKeepaliveConnections};
    }

    server {
        listen 80 default_server;
        server_name _;

        location = ${HEALTH_PATH} {
            access_log off;
${indent(12, proxy)}
        }

        location = ${READY_PATH} {
            access_log off;
${indent(12, proxy)}
        }

        # Scraped on the host (127.0.0.1:${port}); never served to the internet.
        location = ${METRICS_PATH} {
            return 404;
        }

        location / {
            limit_req zone=per_client burst=${spec.burstRequests} nodelay;
${indent(12, proxy)}
        }
    }
}
`;
}
