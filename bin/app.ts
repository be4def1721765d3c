#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { loadPhase } from '../phases';
import { buildPlatform } from '../lib/platform';
import { addSecurityChecks } from '../lib/nag';

/** The CDK app: the one place that reads context. `-c phase=NAME` picks the phase. */
const app = new App();
const spec = loadPhase(app.node.tryGetContext('phase'));
buildPlatform(app, spec);
addSecurityChecks(app);
