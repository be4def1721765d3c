import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PHASES, PHASE_NAMES } from '../../../phases';
import { renderNginxConfig } from '../../../lib/compute/nginx-config';
import { SERVICE_PORT } from '../../../lib/compute/routes';
import { requireTool } from './support/tools';

const monolithPhases = PHASE_NAMES.filter((name) => PHASES[name].compute.monolith);

/** Runs `nginx -t` on a config rendered for a scratch directory; returns nginx's output. */
function nginxTest(config: string): string {
  const nginx = requireTool('nginx', ['nginx', '/usr/sbin/nginx'], 'scripts/tools/install-nginx.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-t-'));
  try {
    const file = path.join(dir, 'nginx.conf');
    fs.writeFileSync(file, config);
    return execFileSync(nginx, ['-t', '-c', file, '-p', dir, '-e', path.join(dir, 'error.log')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`nginx -t rejected the config:\n${e.stderr ?? e.message}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function scratchConfig(name: (typeof PHASE_NAMES)[number]): string {
  const spec = PHASES[name];
  return renderNginxConfig(spec.compute.monolith!.nginx, {
    trustedProxyCidr: spec.regions[0].vpcCidr,
    user: null,
    paths: { errorLog: 'error.log', accessLog: 'access.log', pid: 'nginx.pid', mimeTypes: '/etc/nginx/mime.types' },
  });
}

describe('Nginx in front of the monolith', () => {
  test('the Nginx phases are 1k and 10k', () => {
    expect(monolithPhases).toEqual(['1k', '10k']);
  });

  test.each(monolithPhases)('the config of phase %s passes nginx -t', (name) => {
    expect(() => nginxTest(scratchConfig(name))).not.toThrow();
  });

  test('a broken config is caught by nginx -t (the check can fail)', () => {
    expect(() => nginxTest(scratchConfig('1k').replace('worker_connections', 'worker_connectionz'))).toThrow(/nginx -t rejected the config/);
  });

  test.each(monolithPhases)('phase %s: the config carries the spec\'s limits and proxies to the local Node process', (name) => {
    const n = PHASES[name].compute.monolith!.nginx;
    const config = renderNginxConfig(n, { trustedProxyCidr: PHASES[name].regions[0].vpcCidr });
    expect(config).toContain(`worker_connections ${n.workerConnections};`);
    expect(config).toContain(`rate=${n.requestsPerSecondPerClient}r/s`);
    expect(config).toContain(`burst=${n.burstRequests} nodelay`);
    expect(config).toContain(`client_max_body_size ${n.clientMaxBodyKiB}k;`);
    expect(config).toContain(`server 127.0.0.1:${SERVICE_PORT} max_fails=0;`);
    expect(config).toContain(`keepalive ${n.upstreamKeepaliveConnections};`);
    expect(config).toContain(`set_real_ip_from ${PHASES[name].regions[0].vpcCidr};`);
    expect(config).toMatch(/location = \/metrics \{\s+return 404;/);
    expect(config).toContain('user nginx;');
  });

  test('the same spec renders the same bytes', () => {
    expect(scratchConfig('10k')).toBe(scratchConfig('10k'));
  });
});
