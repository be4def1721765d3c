import { PhaseSpec, RegionName } from '../../phases';

/**
 * Who the alarms reach: email addresses subscribed to every region's alarm topic, and SNS topics
 * of the account's own (a pager, a chat integration) that the alarms of their region also notify.
 */
export interface AlarmRecipients {
  /** Addresses subscribed to the alarm topic of every region; each confirms once by email. */
  readonly emails: readonly string[];
  /** An existing topic per region that the region's alarms notify beside its own topic. */
  readonly topicArns: ReadonlyMap<RegionName, string>;
}

/** Deliberately loose: SNS checks the address itself, this catches a slip such as a missing `@`. */
const EMAIL = /^[^@\s,;]+@[^@\s,;]+\.[^@\s,;.]+$/;

/**
 * A standard SNS topic. CloudWatch publishes alarms only to topics of the alarm's own region,
 * so the region in the ARN decides which region's alarms notify it.
 */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** The alarm recipients given in context, checked against the phase: a bad value fails naming the value and the rule. */
export function alarmRecipients(spec: PhaseSpec, emails: readonly string[], topicArns: readonly string[]): AlarmRecipients {
  const seen = new Set<string>();
  for (const email of emails) {
    if (!EMAIL.test(email)) throw new Error(`alarmEmail = ${email}: must be an email address (name@example.com)`);
    if (seen.has(email.toLowerCase())) throw new Error(`alarmEmail = ${email}: given twice; each address is subscribed once`);
    seen.add(email.toLowerCase());
  }
  const regions = spec.regions.map((r) => r.region as string);
  const byRegion = new Map<RegionName, string>();
  for (const arn of topicArns) {
    const match = TOPIC_ARN.exec(arn);
    if (!match) throw new Error(`alarmTopicArn = ${arn}: must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`);
    const region = match[1];
    if (match[2]) throw new Error(`alarmTopicArn = ${arn}: is a FIFO topic; CloudWatch alarms publish only to standard topics`);
    if (!regions.includes(region)) {
      throw new Error(`alarmTopicArn = ${arn}: its region ${region} is not one of phase ${spec.name}'s regions (${regions.join(', ')}); alarms notify only topics of their own region`);
    }
    if (byRegion.has(region as RegionName)) throw new Error(`alarmTopicArn = ${arn}: ${region} already has topic ${byRegion.get(region as RegionName)}; give one per region`);
    byRegion.set(region as RegionName, arn);
  }
  return { emails: [...emails], topicArns: byRegion };
}

/** Printed once per synthesis when no recipient is given: the alarms would reach nobody. */
export const NO_RECIPIENT_WARNING =
  'Warning: no one receives the alarms. Pass -c alarmEmail=oncall@example.com[,...] (subscribed to every region\'s alarm topic) ' +
  'and/or -c alarmTopicArn=arn:aws:sns:REGION:ACCOUNT:NAME[,...] (one existing topic per region, notified by that region\'s alarms).';
