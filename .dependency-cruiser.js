/**
 * Dependency rules, checked by `npm run check:deps` (and in .ci/run). Each rule names the layer
 * it protects; dependency-cruiser reports every import that breaks one, with its path.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'constructs-never-import-stacks',
      comment:
        'Stacks only wire constructs together. A construct takes the constructs it uses (a cluster, a database), ' +
        'never a stack, so that it can be placed in any stack. Only the app-level files (lib/platform.ts, ' +
        'lib/synthesize.ts) and the stacks themselves import lib/stacks/.',
      severity: 'error',
      from: { path: '^lib/', pathNot: ['^lib/stacks/', '^lib/platform\\.ts$', '^lib/synthesize\\.ts$'] },
      to: { path: '^lib/stacks/' },
    },
    {
      name: 'shared-never-imports-a-domain',
      comment:
        'services/shared/ is what every domain builds on (config, database, events, HTTP). It imports no domain ' +
        '(order, product, ...) and nothing else under services/, or the domains stop being separable.',
      severity: 'error',
      from: { path: '^services/shared/' },
      to: { path: '^services/', pathNot: '^services/shared/' },
    },
    {
      name: 'no-circular',
      comment: 'An import cycle means two files hold one concept, or a type file holds more than types: split or merge them.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^(bin|lib|phases|services|scripts|bench|test)/',
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: they tie files together as much as value imports do.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
