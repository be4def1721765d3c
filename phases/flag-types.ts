/**
 * The flag keys' type, at the path the services import it from (services/shared/flags.ts). The
 * services bundle's asset hash is taken over the services' sources, so moving that import would
 * change every compute template; it moves to `./spec` with the next change to the services.
 */

export type { FlagKey } from './spec/flags';
