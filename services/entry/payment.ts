/** The payment service. */
import { main } from '../main';

void main('payment', ['payment']);
