/** Every module in one process (phases 1k and 10k). */
import { DOMAINS } from '../shared/config';
import { main } from '../main';

void main('monolith', DOMAINS);
