// Rule `gatehouse/no-folder-cycle`: the folders of src/ import each other in one direction only. A file
// directly in src/ (main.ts, app.ts, …) counts as a folder of its own. Type-only imports count too: a
// folder that names another's types depends on it as much as one that calls it (import-x/no-cycle, which
// ignores them, catches the runtime cycles between files).
// The graph of the whole of src/ is read once per ESLint process with TypeScript's parser (a few ms per file).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * 'src/auth' for src/auth/x.ts, 'src/app.ts' for src/app.ts, undefined outside src/. Two kinds of file
 * live beside their feature but belong to another layer:
 * - a resolver (`*.resolver.ts`) is a unit of its own: the GraphQL layer on top of its folder's services,
 *   it needs the request context, which gathers every capability's service; the rest of its folder may not;
 * - a codes file (`*.codes.ts`) is part of the one error table (src/errors/codes.ts composes them) and
 *   imports only src/errors/define.ts.
 */
function unitOf(root, file) {
  const parts = relative(join(root, 'src'), file).split(sep);
  if (parts[0] === '..' || parts[0] === '') return undefined;
  if (file.endsWith('.resolver.ts')) return `src/${parts.join('/')}`;
  if (file.endsWith('.codes.ts')) return 'src/errors';
  return `src/${parts[0]}`;
}

function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
}

function specifiersOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const found = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) {
        found.push(node.arguments[0].text);
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const graphs = new Map();
/** unit -> Map(unit it imports -> one file-level example) */
function graphOf(root) {
  let graph = graphs.get(root);
  if (graph) return graph;
  graph = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const from = unitOf(root, path);
        for (const specifier of specifiersOf(path)) {
          const target = resolveImport(path, specifier);
          const to = target && unitOf(root, target);
          if (!to || to === from) continue;
          if (!graph.has(from)) graph.set(from, new Map());
          if (!graph.get(from).has(to)) graph.get(from).set(to, `${relative(root, path)} -> ${relative(root, target)}`);
        }
      }
    }
  };
  walk(join(root, 'src'));
  graphs.set(root, graph);
  return graph;
}

/** The shortest chain of units from `start` back to `goal`, each step with its example import. */
function pathBack(graph, start, goal) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length) {
    const unit = queue.shift();
    if (unit === goal) {
      const steps = [];
      for (let at = goal; previous.get(at) !== undefined; at = previous.get(at)) steps.unshift(graph.get(previous.get(at)).get(at));
      return steps;
    }
    for (const next of graph.get(unit)?.keys() ?? []) {
      if (!previous.has(next)) {
        previous.set(next, unit);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export const noFolderCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Folders of src/ must not import each other, directly or through other folders' },
    schema: [],
    messages: { cycle: '{{from}} imports {{to}}, which imports it back: {{path}}' },
  },
  create(context) {
    const root = context.cwd;
    const from = unitOf(root, context.filename);
    if (!from || !context.filename.endsWith('.ts')) return {};
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const target = resolveImport(context.filename, specifier);
      const to = target && unitOf(root, target);
      if (!to || to === from) return;
      const back = pathBack(graphOf(root), to, from);
      if (back) context.report({ node, messageId: 'cycle', data: { from, to, path: back.join(', ') } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      TSImportType: (node) => node.argument?.literal && check(node, node.argument.literal.value),
      'CallExpression[callee.name="require"]': (node) => node.arguments[0]?.type === 'Literal' && check(node, node.arguments[0].value),
    };
  },
};

export default { rules: { 'no-folder-cycle': noFolderCycle } };
