// Reports import cycles under src/, between files and between folders (type-only imports included).
// `npx ts-node --transpile-only scripts/check-cycles.ts [--graph]`; exits 1 when there is a cycle.
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

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm;
const edges = new Map<string, Set<string>>();
for (const file of files) {
  const targets = new Set<string>();
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    const base = resolve(dirname(file), spec);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => files.includes(candidate));
    if (target) targets.add(target);
  }
  edges.set(file, targets);
}

const folder = (file: string) => {
  const rel = relative(root, file);
  return rel.includes('/') ? rel.split('/')[0] : '.';
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

const folders = new Map<string, Set<string>>();
for (const [file, targets] of edges) {
  const from = folder(file);
  const set = folders.get(from) ?? new Set<string>();
  for (const target of targets) if (folder(target) !== from) set.add(folder(target));
  folders.set(from, set);
}

if (process.argv.includes('--graph')) {
  for (const [from, to] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${from} -> ${[...to].sort().join(', ') || '(nothing)'}`);
  }
}
const fileCycles = cycles(edges);
const folderCycles = cycles(folders);
for (const cycle of folderCycles) console.log(`folder cycle: ${cycle.join(' <-> ')}`);
for (const cycle of fileCycles) console.log(`file cycle: ${cycle.map((file) => relative(root, file)).join(' <-> ')}`);
if (fileCycles.length + folderCycles.length > 0) process.exit(1);
console.log('no import cycles under src/');
