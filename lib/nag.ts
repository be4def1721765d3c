import { App, Validations } from 'aws-cdk-lib';
import { addCheckovSkips } from './checkov';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** Runs cdk-nag's AwsSolutions pack over the whole app at synth; any unacknowledged finding fails synthesis. */
export function addSecurityChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  addCheckovSkips(app);
}

/**
 * Acknowledges one cdk-nag finding on one construct, with the reason it is acceptable here.
 * Kept beside the decision that causes the finding, never applied app-wide.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
}
