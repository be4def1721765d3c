/** The product service. */
import { main } from '../main';

void main('product', ['product']);
