import { CheckStatus, PreflightReport } from './report-types';

const MARK: Readonly<Record<CheckStatus, string>> = { pass: 'ok', fail: 'FAIL', warn: 'warn', unchecked: 'not checked', error: 'ERROR' };

/** The preflight as a table per region, then what fails and how to fix it, then the verdict. */
export function formatPreflight(report: PreflightReport): string {
  const lines: string[] = [];
  for (const r of report.regions) {
    lines.push(`${report.phase} in ${r.region}`);
    if (r.zones.length) lines.push(`  AZs: ${r.zones.map((z) => `${z.name} = ${z.zoneId ?? 'missing'}`).join(', ')}`);
    const width = Math.max(...r.checks.map((c) => c.subject.length));
    for (const c of r.checks) lines.push(`  ${MARK[c.status].padEnd(11)} ${c.area.padEnd(9)} ${c.subject.padEnd(width)}  ${c.detail}`);
    for (const c of r.checks.filter((x) => x.fix)) lines.push(`  fix ${c.subject}: ${c.fix}`);
    lines.push('');
  }
  const all = report.regions.flatMap((r) => r.checks.map((c) => ({ region: r.region, ...c })));
  const count = (s: CheckStatus) => all.filter((c) => c.status === s).length;
  if (report.exitCode === 0) {
    lines.push(`PASS: the account can hold ${report.phase} in ${report.regions.map((r) => r.region).join(', ')} (${count('pass')} checks; ${count('warn')} warnings, ${count('unchecked')} not checked).`);
  } else if (report.exitCode === 1) {
    lines.push(`FAIL: the account cannot hold ${report.phase}: ${all.filter((c) => c.status === 'fail').map((c) => `${c.region} ${c.subject}`).join('; ')}.`);
  } else {
    lines.push(`ERROR: the preflight could not run: ${[...new Set(all.filter((c) => c.status === 'error').map((c) => `${c.region} ${c.detail}`))].join('; ')}`);
  }
  return lines.join('\n');
}
