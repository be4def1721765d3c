/** The analytics service. */
import { main } from '../main';
import { analyticsModule } from '../analytics/module';

void main('analytics', [analyticsModule]);
