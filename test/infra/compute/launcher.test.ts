import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { APP_METRICS_PORT, renderAppServerScript } from '../../../lib/compute/user-data';

// The launcher is plain JavaScript shipped beside the bundles.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { resolveSecrets } = require('../../../lib/compute/runtime/launch.js') as {
  resolveSecrets: (env: Record<string, string>, dir: string) => Record<string, string>;
};

describe('the launcher that fills secrets into the environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
    fs.writeFileSync(path.join(dir, 'pg-Users.json'), JSON.stringify({ username: 'orders_admin', password: 'p@ss/w:rd?' }));
    fs.writeFileSync(path.join(dir, 'cache-auth.json'), 'plain+token\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a placeholder becomes the secret\'s field, URL-encoded', () => {
    const env = { USERS_DB_URL: 'postgresql://{{secret:pg-Users:username}}:{{secret:pg-Users:password}}@db:5432/users', LOG_LEVEL: 'info' };
    expect(resolveSecrets(env, dir)).toEqual({ USERS_DB_URL: 'postgresql://orders_admin:p%40ss%2Fw%3Ard%3F@db:5432/users' });
  });

  test('a missing secret names the variable and the file, never a value', () => {
    expect(() => resolveSecrets({ ORDERS_DB_URL: 'postgresql://{{secret:pg-Orders:password}}@db' }, dir)).toThrow(
      `ORDERS_DB_URL: cannot read secret pg-Orders from ${path.join(dir, 'pg-Orders.json')}`,
    );
  });

  test('a placeholder without a field is the whole secret string, for secrets that are not JSON', () => {
    expect(resolveSecrets({ REDIS_PASSWORD: '{{secret:cache-auth}}' }, dir)).toEqual({ REDIS_PASSWORD: 'plain%2Btoken' });
    expect(() => resolveSecrets({ X: '{{secret:cache-auth:password}}' }, dir)).toThrow('X: secret cache-auth is not a JSON document, so it has no field password');
  });

  test('a missing field names the variable and the field', () => {
    expect(() => resolveSecrets({ X: '{{secret:pg-Users:host}}' }, dir)).toThrow('X: secret pg-Users has no field host');
  });
});

describe('the app server boot script', () => {
  const script = renderAppServerScript({
    entry: 'order',
    bundleUrl: 's3://bucket/key.zip',
    environment: { PORT: '3000', ORDERS_DB_URL: 'postgresql://{{secret:pg-OrdersShard0:password}}@db/orders' },
    secretArns: 'pg-OrdersShard0=arn:aws:secretsmanager:us-east-1:000000000000:secret:x',
    remoteWriteUrl: 'https://aps/api/v1/remote_write',
    region: 'us-east-1',
    labels: { service: 'order' },
    port: 3000,
    beforeStart: ['migrate', 'provision-topics'],
  });

  test('runs the entry point under systemd as an unprivileged user, fetching secrets before each start', () => {
    expect(script).toContain('ExecStart=/usr/local/bin/orders-node /opt/orders/app/launch.js services/order.mjs');
    expect(script).toContain('ExecStartPre=/bin/sh /opt/orders/app/fetch-secrets.sh');
    expect(script).toContain('User=orders');
    expect(script).toContain('ProtectSystem=strict');
    expect(script).toContain('Restart=always');
  });

  test('migrates the databases and grows the topics before each start', () => {
    const pre = script.split('\n').filter((l) => l.startsWith('ExecStartPre='));
    expect(pre).toEqual([
      'ExecStartPre=/bin/sh /opt/orders/app/fetch-secrets.sh',
      'ExecStartPre=/usr/local/bin/orders-node /opt/orders/app/launch.js services/migrate.mjs',
      'ExecStartPre=/usr/local/bin/orders-node /opt/orders/app/launch.js services/provision-topics.mjs',
    ]);
  });

  test('waits for the readiness check so that a rolling update only passes a healthy server', () => {
    expect(script).toContain("curl -fsS -o /dev/null 'http://127.0.0.1:3000/readyz'");
    expect(script.trimEnd().endsWith('exit 1')).toBe(true);
  });

  test('writes the environment without shell expansion', () => {
    expect(script).toContain("cat > /etc/orders/app.env <<'ORDERS_ENV'");
    expect(script).toContain('ORDERS_DB_URL="postgresql://{{secret:pg-OrdersShard0:password}}@db/orders"');
  });

  test('runs a worker per vCPU, and the Prometheus agent scrapes their summed metrics from the supervisor', () => {
    expect(script).toContain('PROCESSES="auto"');
    expect(script).toContain(`METRICS_PORT="${APP_METRICS_PORT}"`);
    expect(script).toContain(`- targets: ["127.0.0.1:${APP_METRICS_PORT}"]`);
  });

  test('has no Nginx when none fronts the process', () => {
    expect(script).not.toContain('nginx');
  });
});
