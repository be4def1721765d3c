/** The analytics service. */
import { main } from '../main';

void main('analytics', ['analytics']);
