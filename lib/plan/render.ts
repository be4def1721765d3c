import { COST_CATEGORIES } from '../cost/estimate';
import { formatPreflight } from '../preflight/format';
import { Block } from './document';
import { ChecklistItem } from './checklist';
import { MigrationPlan } from './plan';

const usd = (n: number) => `${n < 0 ? '-' : ''}$${Math.abs(Math.round(n)).toLocaleString('en-US')}`;
const signed = (n: number) => (Math.round(n) > 0 ? `+${usd(n)}` : usd(n));

function checklistBlocks(title: string, items: readonly ChecklistItem[]): Block[] {
  return [
    { kind: 'paragraph', text: `**${title}**` },
    ...items.flatMap((item): Block[] => [
      { kind: 'list', checkboxes: true, items: [`${item.task}${item.note ? `: ${item.note}` : ''}`] },
      ...(item.commands.length ? [{ kind: 'code', lines: item.commands } as const] : []),
    ]),
  ];
}

/** The plan as blocks, in the order a reviewer reads it: verdict, changes, money and capacity, then how to run the move. */
export function planBlocks(plan: MigrationPlan): Block[] {
  const r = plan.review;
  const counts = Object.entries(r.counts).map(([k, v]) => `${v} ${k}`).join(', ');
  const verdict =
    r.errors.length > 0
      ? `**UNSAFE**: ${r.errors.length} stateful risk(s).`
      : plan.exitCode === 1
        ? '**BLOCKED**: see the reachability problems or the preflight below.'
        : '**SAFE**: no stateful resource is replaced, deleted or orphaned.';
  const byStack = new Map<string, typeof r.changes>();
  for (const c of r.changes) byStack.set(c.stack, [...(byStack.get(c.stack) ?? []), c]);
  const stackRows = [...byStack].map(([stack, changes]) => {
    const n = (a: string) => String(changes.filter((c) => c.action === a).length);
    return [stack, changes[0].region, n('add'), n('update'), n('replace'), n('may-replace'), n('destroy'), n('orphan')];
  });
  const risky = r.changes.filter((c) => c.action !== 'add' && c.action !== 'update');
  const k8s = plan.kubernetes;
  const blocks: Block[] = [
    { kind: 'heading', text: `Migration plan ${plan.from} → ${plan.to}` },
    { kind: 'paragraph', text: `${counts}. ${verdict}` },
    ...(r.errors.length ? [{ kind: 'list', items: r.errors.map((e) => `ERROR ${e}`) } as const] : []),
    { kind: 'heading', text: 'Resource changes per stack and region' },
    ...(r.addedStacks.length ? [{ kind: 'paragraph', text: `New stacks: ${r.addedStacks.join(', ')}.` } as const] : []),
    { kind: 'table', header: ['stack', 'region', 'add', 'update', 'replace', 'may-replace', 'destroy', 'orphan'], rows: stackRows },
    ...(risky.length
      ? [
          {
            kind: 'details',
            summary: `${risky.length} resources replaced, deleted or orphaned (${risky.filter((c) => c.stateful).length} stateful)`,
            blocks: [
              {
                kind: 'table',
                header: ['stack', 'resource', 'type', 'action', 'stateful', 'because of'],
                rows: risky.map((c) => [c.stack, c.logicalId, c.type, c.action, c.stateful ? 'STATEFUL' : '', c.causes.join(', ')]),
              },
            ],
          } as const,
        ]
      : []),
    {
      kind: 'paragraph',
      text: plan.reachability.problems.length
        ? `UNREACHABLE: ${plan.reachability.problems.length} problem(s) in ${plan.to}: ${plan.reachability.problems.join('; ')}`
        : `Reachable: every workload of ${plan.to} reaches every endpoint it is configured with (${plan.reachability.paths} paths).`,
    },
    { kind: 'heading', text: 'Kubernetes manifest changes' },
    k8s.length
      ? {
          kind: 'details',
          summary: `${k8s.filter((c) => c.action === 'add').length} objects added, ${k8s.filter((c) => c.action === 'change').length} changed, ${k8s.filter((c) => c.action === 'remove').length} removed (Jobs are named by a hash of their spec: a changed Job is a new one, the old one is pruned)`,
          blocks: [
            {
              kind: 'table',
              header: ['stack', 'object', 'change'],
              rows: k8s.map((c) => [c.stack, c.object, c.action === 'change' ? `${c.fields.slice(0, 4).join('; ')}${c.fields.length > 4 ? `; and ${c.fields.length - 4} more` : ''}` : c.action]),
            },
          ],
        }
      : { kind: 'paragraph', text: 'None.' },
    { kind: 'heading', text: 'Kafka partitions' },
    ...(plan.kafka.increases.length
      ? [
          { kind: 'table', header: ['topic', plan.from, plan.to], rows: plan.kafka.increases.map((p) => [p.topic, String(p.from), String(p.to)]) } as const,
          { kind: 'paragraph', text: `WARNING: ${plan.kafka.warning}` } as const,
        ]
      : [{ kind: 'paragraph', text: 'No partition count changes.' } as const]),
    { kind: 'heading', text: 'Cost per month' },
    {
      kind: 'table',
      header: ['', ...COST_CATEGORIES, 'total'],
      rows: [
        [plan.from, ...COST_CATEGORIES.map((c) => usd(plan.cost.from.byCategory[c])), usd(plan.cost.from.totalUsd)],
        [plan.to, ...COST_CATEGORIES.map((c) => usd(plan.cost.to.byCategory[c])), usd(plan.cost.to.totalUsd)],
        ['delta', ...COST_CATEGORIES.map((c) => signed(plan.cost.to.byCategory[c] - plan.cost.from.byCategory[c])), signed(plan.cost.to.totalUsd - plan.cost.from.totalUsd)],
      ],
    },
    {
      kind: 'paragraph',
      text: `${plan.to}: ${usd(plan.cost.to.totalUsd)} of a ${usd(plan.cost.budgetUsd)} budget (${plan.cost.headroomPercent.toFixed(0)}% headroom${plan.cost.headroomPercent < 0 ? ': OVER BUDGET' : ''}). On-demand list prices; usage-based charges excluded (npm run cost).`,
    },
    { kind: 'heading', text: 'Capacity' },
    { kind: 'table', header: ['measure', plan.from, plan.to], rows: plan.capacity.map((c) => [c.measure, c.from, c.to]) },
    { kind: 'heading', text: 'Deploy order and what restarts' },
    {
      kind: 'table',
      header: ['#', 'stack', 'region', 'restarts'],
      rows: plan.deploy.map((d, i) => [
        String(i + 1),
        d.stack,
        d.region,
        d.restarts.length ? d.restarts.map((x) => `${x.outage ? 'OUTAGE ' : ''}${x.logicalId}: ${x.change} (${x.impact})`).join('; ') : '-',
      ]),
    },
    { kind: 'heading', text: 'Migration checklist' },
    ...checklistBlocks('Pre-migration', plan.checklist.pre),
    ...checklistBlocks('During migration', plan.checklist.during),
    ...checklistBlocks('Post-migration', plan.checklist.post),
    { kind: 'heading', text: 'Rollback triggers' },
    {
      kind: 'table',
      header: ['trigger', 'region', 'alarms'],
      rows: plan.rollbackTriggers.flatMap((t) => t.alarms.map((a) => [t.trigger, a.region, a.names.join(', ')])),
    },
    { kind: 'paragraph', text: 'When one fires:' },
    { kind: 'code', lines: plan.checklist.rollback.map((l) => (l.startsWith('npx ') ? l : `# ${l}`)) },
  ];
  if (plan.preflight) {
    blocks.push({ kind: 'heading', text: `Preflight of ${plan.to}` }, { kind: 'code', lines: formatPreflight(plan.preflight).split('\n') });
  }
  return blocks;
}
