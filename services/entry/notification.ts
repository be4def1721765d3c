/** The notification service. */
import { main } from '../main';

void main('notification', ['notification']);
