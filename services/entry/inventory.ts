/** The inventory service. */
import { main } from '../main';

void main('inventory', ['inventory']);
