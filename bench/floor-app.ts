import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** The smallest useful CDK app (one bucket): the floor that synthesis time is compared against. */
const app = new App();
new s3.Bucket(new Stack(app, 'Floor', { env: { region: 'us-east-1' } }), 'Bucket');
app.synth();
