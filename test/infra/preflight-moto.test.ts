import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { PHASES, PhaseSpec } from '../../phases';
import { runPreflight } from '../../lib/preflight/preflight';
import { ROOT } from './support/synth';

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto did not listen on ${port} within ${seconds} s`);
}

/** Runs `npm run preflight` (its script) with the given environment; resolves with its exit code and output. */
function preflightCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/preflight.ts'), ...args], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run preflight against a local moto server', () => {
  let moto: ChildProcess;
  let endpoint: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    const motoServer = execFileSync('bash', [path.join(ROOT, 'scripts/tools/install-moto.sh')], { encoding: 'utf8', timeout: 10 * 60 * 1000 }).trim();
    const python = path.join(path.dirname(motoServer), 'python');
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn(python, [path.join(ROOT, 'scripts/tools/moto-server.py'), path.join(__dirname, 'preflight/orderable-options.json'), '-H', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
    });
    await waitForPort(port, moto, 60);
    // The SDK's standard endpoint and credential settings, as a user sets them.
    Object.assign(process.env, { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' });
  });

  afterAll(() => {
    moto?.kill();
    process.env = saved;
  });

  test('50k passes in us-east-1: every type offered, AZs mapped to zone IDs, classes orderable; exit 0', async () => {
    const result = await preflightCli(['50k'], process.env);
    expect(result.stdout).toContain('us-east-1a = use1-az6');
    expect(result.stdout).toContain('PASS: the account can hold 50k in us-east-1');
    expect(result.code).toBe(0);
  });

  test('--json gives the same report for tools', async () => {
    const result = await preflightCli(['1m', '--region', 'eu-central-1', '--json'], process.env);
    const report = JSON.parse(result.stdout) as { phase: string; exitCode: number; regions: { region: string; checks: { status: string }[] }[] };
    expect(report.regions.map((r) => r.region)).toEqual(['eu-central-1']);
    expect(report.regions[0].checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  test('a type moto\'s us-west-2 does not offer in us-west-2c fails there, naming the AZ and the group', async () => {
    const base = PHASES['70k'];
    const eks = base.compute.eks!;
    const spec: PhaseSpec = {
      ...base,
      compute: { ...base.compute, eks: { ...eks, nodeGroups: [{ ...eks.nodeGroups[0], instanceTypes: ['m7g.large', 'c5ad.large'] }] } },
    };
    const report = await runPreflight(spec, { maxAttempts: 1 });
    expect(report.exitCode).toBe(1);
    const failed = report.regions.flatMap((r) => r.checks.filter((c) => c.status === 'fail').map((c) => `${r.region}: ${c.detail}`));
    expect(failed).toEqual(['us-west-2: c5ad.large is not offered in us-west-2c (only in us-west-2a, us-west-2b); needed by EKS node group General']);
  });

  test('without credentials the check cannot run: exit 2, saying so', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_PROFILE;
    const result = await preflightCli(['1k'], env);
    expect(result.stdout).toContain('ERROR: the preflight could not run: us-east-1 could not run: no AWS credentials');
    expect(result.code).toBe(2);
  });
});
