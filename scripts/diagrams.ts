#!/usr/bin/env node
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { PHASE_NAMES, loadPhase } from '../phases';
import { diagramOf, toDot } from '../lib/diagrams/diagram';
import { synthesizePhases } from '../lib/synthesize';
import { ROOT, cdkJsonContext } from './cdk-context';

/** Draws each phase from its synthesized assembly with graphviz (installed from Debian when missing) into docs/diagrams/. */
const program = new Command()
  .name('diagrams')
  .description('Write docs/diagrams/<phase>.dot and .svg from the synthesized assemblies (graphviz).')
  .argument('[phases...]', 'phases to draw (default: all)')
  .option('--out <dir>', 'output folder', path.join(ROOT, 'docs/diagrams'))
  .action((names: string[], options: { out: string }) => {
    execFileSync('bash', [path.join(ROOT, 'scripts/tools/install-graphviz.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    const specs = (names.length ? names : [...PHASE_NAMES]).map((name) => loadPhase(name));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagrams-'));
    process.on('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
    const assemblies = synthesizePhases(outdir, specs, cdkJsonContext());
    fs.mkdirSync(options.out, { recursive: true });
    for (const spec of specs) {
      const dot = toDot(diagramOf(spec.name, assemblies.get(spec.name)!));
      fs.writeFileSync(path.join(options.out, `${spec.name}.dot`), dot);
      const svg = execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
      fs.writeFileSync(path.join(options.out, `${spec.name}.svg`), svg);
      console.log(`${path.relative(ROOT, path.join(options.out, `${spec.name}.svg`))}`);
    }
  });

program.parse();
