/** The shipping service. */
import { main } from '../main';

void main('shipping', ['shipping']);
