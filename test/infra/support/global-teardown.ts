import * as fs from 'fs';
import { ASSEMBLY_DIR_VARIABLE } from './assembly';

/** Removes this run's assemblies. */
export default function globalTeardown(): void {
  const dir = process.env[ASSEMBLY_DIR_VARIABLE];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
