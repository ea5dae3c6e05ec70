// Reports import cycles under src/, between files and between folders, once counting every import and
// once counting only imports that remain at run time (`import type` is erased; ESLint's import/no-cycle
// ignores it too). Files directly in src/ count as folders of their own (config.ts as `config`, which
// becomes a folder). `npx ts-node --transpile-only scripts/check-cycles.ts [--graph]`; exits 1 on a
// run-time cycle, and prints the type-only ones.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../src');
const files: string[] = [];
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(path);
  }
};
walk(root);

const IMPORT = /^\s*(import|export)\s([^'"]*?)from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm;
/** An import that TypeScript erases: `import type {…}`, or braces holding nothing but `type` names. */
const typeOnly = (keyword: string, clause: string): boolean =>
  /^type\s/.test(clause.trim()) || (/^\{[^}]*\}\s*$/.test(clause.trim()) && clause.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((name) => name.startsWith('type')) && keyword === 'import');
const allEdges = new Map<string, Set<string>>();
const runtimeEdges = new Map<string, Set<string>>();
for (const file of files) {
  const all = new Set<string>();
  const runtime = new Set<string>();
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = match[3] ?? match[4];
    const base = resolve(dirname(file), spec);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => files.includes(candidate));
    if (!target) continue;
    all.add(target);
    if (match[4] !== undefined || !typeOnly(match[1], match[2])) runtime.add(target);
  }
  allEdges.set(file, all);
  runtimeEdges.set(file, runtime);
}

const folder = (file: string) => {
  const rel = relative(root, file);
  if (rel.includes('/')) return rel.split('/')[0];
  return rel === 'config.ts' ? 'config' : rel;
};

/** Tarjan's strongly connected components of size > 1 (or a self-loop). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

function folderGraph(edges: Map<string, Set<string>>): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of edges) {
    const from = folder(file);
    const set = folders.get(from) ?? new Set<string>();
    for (const target of targets) if (folder(target) !== from) set.add(folder(target));
    folders.set(from, set);
  }
  return folders;
}

const allFolders = folderGraph(allEdges);
const runtimeFolders = folderGraph(runtimeEdges);
if (process.argv.includes('--graph')) {
  for (const [from, to] of [...allFolders].sort(([a], [b]) => a.localeCompare(b))) {
    const runtime = runtimeFolders.get(from)!;
    const targets = [...to].sort().map((target) => (runtime.has(target) ? target : `(type ${target})`));
    console.log(`${from} -> ${targets.join(', ') || '(nothing)'}`);
  }
}
const name = (file: string) => relative(root, file);
const runtimeCycles = [...cycles(runtimeFolders).map((c) => `folder cycle: ${c.join(' <-> ')}`), ...cycles(runtimeEdges).map((c) => `file cycle: ${c.map(name).join(' <-> ')}`)];
const typeCycles = [...cycles(allFolders).map((c) => `folder cycle (with type imports): ${c.join(' <-> ')}`), ...cycles(allEdges).map((c) => `file cycle (with type imports): ${c.map(name).join(' <-> ')}`)];
for (const line of [...runtimeCycles, ...typeCycles]) console.log(line);
if (runtimeCycles.length > 0) process.exit(1);
console.log(typeCycles.length > 0 ? 'no run-time import cycles under src/ (type-only ones above)' : 'no import cycles under src/');
