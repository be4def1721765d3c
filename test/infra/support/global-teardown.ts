import { closeScratch } from '../../support/scratch';

/** Removes this run's scratch directory, with the assemblies and everything the tests wrote. */
export default function globalTeardown(): void {
  closeScratch();
}
