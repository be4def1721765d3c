/** Every module in one process (phases 1k and 10k). */
import { main } from '../main';
import { DOMAINS } from '../shared/config';
import { MODULES } from '../modules';

void main('monolith', DOMAINS.map((d) => MODULES[d]));
