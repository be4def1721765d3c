#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { PHASES, PhaseSpec, loadPhase, previousPhase, withHome } from '../phases';
import { sideBySide } from '../lib/compute/migration';
import { writeReviewManifests } from '../lib/k8s/review-manifests';
import { addSecurityChecks } from '../lib/nag';
import { NO_RECIPIENT_WARNING } from '../lib/monitoring/notifications';
import { NO_DOMAIN_WARNING, shopDomain } from '../lib/dns/names';
import { buildPlatform } from '../lib/platform';
import { useCachedTemplateValidation } from '../lib/template-validation';

/**
 * The CDK app: the one place that reads context.
 *
 *   -c phase=NAME      the phase to build (1k, 10k, 30k, 50k, 70k, 1m)
 *   -c shift=PERCENT   optional: the side-by-side step of a move into NAME, keeping the previous
 *                      phase's compute and sending PERCENT of traffic to the new (docs/compute.md)
 *   -c certificateArn=ARN[,ARN]
 *                      optional: ACM certificates of the shop's domain, one per region; the
 *                      1k-10k front door of their region serves HTTPS and redirects HTTP
 *   -c alarmEmail=ADDRESS[,ADDRESS]
 *                      optional: subscribed to every region's alarm topic (each confirms by email)
 *   -c alarmTopicArn=ARN[,ARN]
 *                      optional: existing SNS topics, one per region, that the region's alarms
 *                      also notify (a pager, a chat integration)
 * With neither, synthesis warns once: the alarms would reach nobody.
 *   -c domainName=shop.example.com -c hostedZoneId=Z...
 *                      optional: the shop's domain and the public hosted zone holding it; each
 *                      region's front door gets <region>.api.<domain>, and api.<domain> is
 *                      routed by Route 53 to a healthy region (without both, synthesis warns once)
 *   -c homeRegion=REGION
 *                      after a regional failover (npm run failover): the region that took the
 *                      writes; it is built as the primary and the other regions as its
 *                      secondaries (the returning region rejoins as one: README, "Bringing the
 *                      old primary back")
 *   -c originProtection=off
 *                      the first deploy of a move onto origin protection (edge.originProtection,
 *                      from 50k): everything but the APIs' origin check, so that users who still
 *                      reach the API directly are served until api.<domain> names the edge;
 *                      deploy again without it (README, "Origin protection and the public name")
 *   -c adminRoleArn=ARN[,ARN]
 *                      optional: IAM roles given cluster-admin access to every EKS cluster (EKS
 *                      access entries); they reach the private endpoint from inside the VPC
 */
function specFromContext(app: App): PhaseSpec {
  const home = stringFromContext(app, 'homeRegion');
  if (home === undefined) return shiftFromContext(app, loadPhase(app.node.tryGetContext('phase')));
  // The phase as built after the failover, validated against the phase before it like any phase.
  const name = loadPhase(app.node.tryGetContext('phase')).name;
  return shiftFromContext(app, loadPhase(name, { ...PHASES, [name]: withHome(PHASES[name], home) }));
}

/** The phase, or the side-by-side step of a move into it when `-c shift` is given. */
function shiftFromContext(app: App, phase: PhaseSpec): PhaseSpec {
  const shift: unknown = app.node.tryGetContext('shift');
  if (shift === undefined) return phase;
  const given = typeof shift === 'string' || typeof shift === 'number' ? String(shift) : JSON.stringify(shift);
  const percent = /^\d+$/.test(given) ? Number(given) : NaN;
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new Error(`-c shift=${given}: must be a whole percentage from 0 to 100`);
  }
  const previous = previousPhase(phase.name);
  if (!previous) throw new Error(`-c shift applies to a move into a phase; ${phase.name} is the first phase`);
  const step = sideBySide(phase, previous, percent);
  // The step is validated like any phase: against its own rules and the phase before it.
  return loadPhase(phase.name, { ...PHASES, [phase.name]: step });
}

/** A comma-separated context value as a list; its items are checked against the phase by buildPlatform. */
function listFromContext(app: App, key: string, what: string): string[] {
  const given: unknown = app.node.tryGetContext(key);
  if (given === undefined || given === '') return [];
  if (typeof given !== 'string') throw new Error(`-c ${key}=${JSON.stringify(given)}: must be one ${what} or a comma-separated list`);
  return given.split(',').map((item) => item.trim()).filter(Boolean);
}

/** A single-valued context string, or undefined when absent. */
function stringFromContext(app: App, key: string): string | undefined {
  const given: unknown = app.node.tryGetContext(key);
  if (given === undefined || given === '') return undefined;
  if (typeof given !== 'string') throw new Error(`-c ${key}=${JSON.stringify(given)}: must be a string`);
  return given.trim();
}

/** `-c originProtection=off`: the origin check held back for one deploy; anything else is refused. */
function originProtectionHeld(app: App): boolean {
  const given = stringFromContext(app, 'originProtection');
  if (given === undefined) return false;
  if (given !== 'off') throw new Error(`-c originProtection=${given}: the only value is off (the first deploy of a move onto origin protection); leave it out to build what the spec says`);
  return true;
}

const app = new App();
const domain = shopDomain(stringFromContext(app, 'domainName'), stringFromContext(app, 'hostedZoneId'));
const alarmEmails = listFromContext(app, 'alarmEmail', 'address');
const alarmTopicArns = listFromContext(app, 'alarmTopicArn', 'ARN');
buildPlatform(app, specFromContext(app), {
  certificateArns: listFromContext(app, 'certificateArn', 'ARN'),
  alarmEmails,
  alarmTopicArns,
  adminRoleArns: listFromContext(app, 'adminRoleArn', 'ARN'),
  domain,
  originProtectionHeld: originProtectionHeld(app),
});
writeReviewManifests(app);
if (!domain) process.stderr.write(`${NO_DOMAIN_WARNING}\n`);
if (alarmEmails.length === 0 && alarmTopicArns.length === 0) process.stderr.write(`${NO_RECIPIENT_WARNING}\n`);
addSecurityChecks(app);
useCachedTemplateValidation();
