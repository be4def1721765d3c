/**
 * The phase spec's types, one file per concern. This folder holds types (and the name lists
 * they are derived from) only: the rules are in `../rules/`, the builders in `../builders.ts`.
 */

export * from './phase';
export * from './network';
export * from './data';
export * from './cache';
export * from './streaming';
export * from './compute';
export * from './monitoring';
export * from './dns';
export * from './flags';
