import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const PHASES_DIR = path.join(__dirname, '..', '..', 'phases');

/** Every TypeScript file below `phases/`, relative to it. */
function sources(dir = PHASES_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.relative(PHASES_DIR, path.join(dir, e.name))] : []));
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(path.join(PHASES_DIR, file), 'utf8'), ts.ScriptTarget.Latest, true);
}

/** The files below `phases/` that `file` imports or re-exports (type-only imports included). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(path.join(PHASES_DIR, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.relative(PHASES_DIR, path.resolve(PHASES_DIR, path.dirname(file), name)))
    .filter((target) => !target.startsWith('..'))
    .map((target) => (fs.existsSync(path.join(PHASES_DIR, `${target}.ts`)) ? `${target}.ts` : path.join(target, 'index.ts')));
}

/** Every import cycle in a graph of files, each as the path that closes it. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const walk = (file: string, trail: string[]): void => {
    const at = trail.indexOf(file);
    if (at >= 0) {
      found.push([...trail.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    for (const next of edges.get(file) ?? []) walk(next, [...trail, file]);
    done.add(file);
  };
  for (const file of edges.keys()) walk(file, []);
  return found;
}

describe('the layout of phases/', () => {
  const files = sources();

  test('no file in phases/ takes part in an import cycle', () => {
    expect(cycles(new Map(files.map((f) => [f, importsOf(f)]))).map((c) => c.join(' -> '))).toEqual([]);
  });

  test('the cycle check finds a cycle, and none in a chain', () => {
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toEqual([]);
  });

  test('phases/spec/ holds types only: interfaces, type aliases and the name lists they derive from, importing nothing else', () => {
    const offending = files
      .filter((f) => f.startsWith(`spec${path.sep}`))
      .flatMap((f) => [
        ...importsOf(f)
          .filter((target) => !target.startsWith(`spec${path.sep}`))
          .map((target) => `${f} imports ${target}`),
        ...parse(f)
          .statements.filter(
            (s) =>
              !ts.isInterfaceDeclaration(s) &&
              !ts.isTypeAliasDeclaration(s) &&
              !ts.isImportDeclaration(s) &&
              !ts.isExportDeclaration(s) &&
              // `export const NAMES = [...] as const`: the list a union type is derived from.
              !(ts.isVariableStatement(s) && s.declarationList.declarations.every((d) => d.initializer && ts.isAsExpression(d.initializer) && d.initializer.type.getText() === 'const')),
          )
          .map((s) => `${f}: ${s.getText().split('\n')[0]}`),
      ]);
    expect(offending).toEqual([]);
  });

  test('rules import only the spec, the limits and each other; nothing but the entry and the index imports a rule', () => {
    const rules = files.filter((f) => f.startsWith(`rules${path.sep}`));
    const allowed = (target: string) => target.startsWith(`spec${path.sep}`) || target.startsWith(`rules${path.sep}`) || target === 'limits.ts';
    const ruleImports = rules.flatMap((f) => importsOf(f).filter((t) => !allowed(t)).map((t) => `${f} imports ${t}`));
    // capacity.ts reads partitionsPerBroker, the one derived value a rule and the capacity model share.
    const importers = files
      .filter((f) => !f.startsWith(`rules${path.sep}`) && !['validate.ts', 'index.ts', 'capacity.ts'].includes(f))
      .flatMap((f) => importsOf(f).filter((t) => t.startsWith(`rules${path.sep}`)).map((t) => `${f} imports ${t}`));
    expect([...ruleImports, ...importers]).toEqual([]);
  });

  test('one violation helper: no rule file makes a violation by hand', () => {
    const byHand = files
      .filter((f) => f !== path.join('rules', 'rule.ts'))
      .filter((f) => /\{ field, value, rule \}|:\s*Violation\s*=>|\): Violation \{/.test(fs.readFileSync(path.join(PHASES_DIR, f), 'utf8')));
    expect(byHand).toEqual([]);
  });

  test('@default sits only on optional fields of the spec, where the code applies it', () => {
    const misplaced: string[] = [];
    for (const f of files.filter((x) => x.startsWith(`spec${path.sep}`))) {
      const visit = (node: ts.Node): void => {
        if (ts.isPropertySignature(node) && !node.questionToken && ts.getJSDocTags(node).some((t) => t.tagName.text === 'default')) {
          misplaced.push(`${f}: ${node.name.getText()}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(parse(f));
    }
    expect(misplaced).toEqual([]);
  });
});
