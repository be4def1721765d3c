/** The order service. */
import { main } from '../main';

void main('order', ['order']);
