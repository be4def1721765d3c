/** The user service. */
import { main } from '../main';

void main('user', ['user']);
