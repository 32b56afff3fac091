import { readFileSync } from 'node:fs';

// Reads two V8 heap snapshots (bench/memory-snapshot.ts) and prints what the later one holds per
// extra dispute: the kinds of objects that grew (their own sizes), and what one instance of each
// class that appears once per dispute retains (what would be freed with it), the workflow's
// modules one by one. Retained size here is "reachable from the roots, less what is still
// reachable with that object removed", without a dominator tree: slow per object, exact enough.

interface Graph {
  strings: string[];
  nodes: Uint32Array;
  nodeFields: number;
  typeOf: (node: number) => string;
  nameOf: (node: number) => string;
  selfSize: (node: number) => number;
  firstEdge: Uint32Array;
  edges: Uint32Array;
  edgeFields: number;
  edgeTypeNames: string[];
  nodeCount: number;
}

function load(file: string): Graph {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const { meta } = raw.snapshot;
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const nodes = Uint32Array.from(raw.nodes);
  const edges = Uint32Array.from(raw.edges);
  const nodeCount = nodes.length / nodeFields;
  const type = meta.node_fields.indexOf('type');
  const name = meta.node_fields.indexOf('name');
  const size = meta.node_fields.indexOf('self_size');
  const edgeCount = meta.node_fields.indexOf('edge_count');
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let i = 0; i < nodeCount; i++) firstEdge[i + 1] = firstEdge[i]! + nodes[i * nodeFields + edgeCount]! * edgeFields;
  const nodeTypes = meta.node_types[0];
  return {
    strings: raw.strings,
    nodes,
    nodeFields,
    typeOf: (node) => nodeTypes[nodes[node * nodeFields + type]!]!,
    nameOf: (node) => raw.strings[nodes[node * nodeFields + name]!]!,
    selfSize: (node) => nodes[node * nodeFields + size]!,
    firstEdge,
    edges,
    edgeFields,
    edgeTypeNames: meta.edge_types[0],
    nodeCount,
  };
}

/** A node's kind, as DevTools' Summary groups them. */
function kindOf(graph: Graph, node: number): string {
  const type = graph.typeOf(node);
  if (type === 'object' || type === 'native') return graph.nameOf(node);
  if (type === 'closure') return '(closure)';
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return '(string)';
  if (type === 'hidden' || type === 'object shape') return `(system) ${graph.nameOf(node).replace(/ \/ .*/, '').slice(0, 40)}`;
  return `(${type})`;
}

function bySelfSize(graph: Graph): Map<string, { size: number; count: number }> {
  const kinds = new Map<string, { size: number; count: number }>();
  for (let node = 0; node < graph.nodeCount; node++) {
    const kind = kindOf(graph, node);
    const entry = kinds.get(kind) ?? { size: 0, count: 0 };
    entry.size += graph.selfSize(node);
    entry.count += 1;
    kinds.set(kind, entry);
  }
  return kinds;
}

/** Total size reachable from the root (node 0), weak edges aside, never passing through `blocked`. */
function reachable(graph: Graph, blocked: number | number[], mark: Uint8Array): number {
  mark.fill(0);
  const weak = graph.edgeTypeNames.indexOf('weak');
  const stack = [0];
  mark[0] = 1;
  const blockedSize = typeof blocked === 'number' ? (blocked >= 0 ? graph.selfSize(blocked) : 0) : blocked.reduce((sum, node) => sum + graph.selfSize(node), 0);
  for (const node of typeof blocked === 'number' ? (blocked >= 0 ? [blocked] : []) : blocked) mark[node] = 1;
  let total = 0;
  while (stack.length) {
    const node = stack.pop()!;
    total += graph.selfSize(node);
    for (let e = graph.firstEdge[node]!; e < graph.firstEdge[node + 1]!; e += graph.edgeFields) {
      if (graph.edges[e] === weak) continue;
      const to = graph.edges[e + 2]! / graph.nodeFields;
      if (!mark[to]) {
        mark[to] = 1;
        stack.push(to);
      }
    }
  }
  return total + blockedSize;
}

function edgesOf(graph: Graph, node: number): { name: string; to: number }[] {
  const out = [];
  const element = graph.edgeTypeNames.indexOf('element');
  const hidden = graph.edgeTypeNames.indexOf('hidden');
  for (let e = graph.firstEdge[node]!; e < graph.firstEdge[node + 1]!; e += graph.edgeFields) {
    const type = graph.edges[e]!;
    const nameOrIndex = graph.edges[e + 1]!;
    out.push({ name: type === element || type === hidden ? `[${nameOrIndex}]` : graph.strings[nameOrIndex]!, to: graph.edges[e + 2]! / graph.nodeFields });
  }
  return out;
}

const KiB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The size of a data structure: the objects, arrays and strings it reaches, not its functions or shapes. */
function dataSize(graph: Graph, root: number): number {
  const data = new Set(['object', 'array', 'string', 'concatenated string', 'sliced string', 'number']);
  const seen = new Set([root]);
  const stack = [root];
  let total = 0;
  while (stack.length) {
    const node = stack.pop()!;
    total += graph.selfSize(node);
    for (const { name, to } of edgesOf(graph, node)) {
      if (name === 'map' || name === '__proto__' || name === 'constructor' || seen.has(to) || !data.has(graph.typeOf(to))) continue;
      seen.add(to);
      stack.push(to);
    }
  }
  return total;
}

/** What all instances of the named classes retain together, in one snapshot. */
function groupRetained(graph: Graph, test: (node: number) => boolean): { count: number; retained: number } {
  const members: number[] = [];
  for (let node = 0; node < graph.nodeCount; node++) if (test(node)) members.push(node);
  const mark = new Uint8Array(graph.nodeCount);
  return { count: members.length, retained: reachable(graph, -1, mark) - reachable(graph, members, mark) };
}

const groups: [string, (graph: Graph, node: number) => boolean][] = [
  ['every workflow (ReusableVMWorkflow: the SDK side and the V8 context side)', (graph, node) => kindOf(graph, node) === 'ReusableVMWorkflow'],
  ["every workflow's Activator (its module instances, handlers, state)", (graph, node) => kindOf(graph, node) === 'Activator'],
  ['zod schema instances (class `_` with `_zod` internals)', (graph, node) => kindOf(graph, node) === '_' && edgesOf(graph, node).some(({ name }) => name === '_zod')],
  ['every DisputeProcedure (the dispute: its state, policy, parties)', (graph, node) => kindOf(graph, node) === 'DisputeProcedure'],
];

export function analyseSnapshots(beforeFile: string, afterFile: string, n: number): void {
  const beforeGraph = load(beforeFile);
  const beforeKinds = bySelfSize(beforeGraph);
  const beforeGroups = groups.map(([, test]) => groupRetained(beforeGraph, (node) => test(beforeGraph, node)));
  const graph = load(afterFile);
  console.log('\nretained together, per dispute (difference between the snapshots / n):');
  groups.forEach(([label, test], index) => {
    const after = groupRetained(graph, (node) => test(graph, node));
    const before = beforeGroups[index]!;
    console.log(`  ${label.padEnd(76)} ${KiB((after.retained - before.retained) / n).padStart(10)}  (${((after.count - before.count) / n).toFixed(1)} per dispute)`);
  });
  const afterKinds = bySelfSize(graph);
  const grown = [...afterKinds]
    .map(([kind, { size, count }]) => ({ kind, size: (size - (beforeKinds.get(kind)?.size ?? 0)) / n, count: (count - (beforeKinds.get(kind)?.count ?? 0)) / n }))
    .sort((a, b) => b.size - a.size);
  const total = grown.reduce((sum, row) => sum + row.size, 0);
  console.log(`\nown sizes of what grew, per dispute (total ${KiB(total)}):`);
  for (const row of grown.slice(0, 20)) console.log(`  ${row.kind.padEnd(48)} ${KiB(row.size).padStart(10)}  ${row.count.toFixed(1)} objects`);

  // Classes with one instance per dispute: what one instance (the last) retains.
  const mark = new Uint8Array(graph.nodeCount);
  const all = reachable(graph, -1, mark);
  const retained = (node: number | number[]) => all - reachable(graph, node, mark);
  const perDispute = [...afterKinds].filter(([kind, { count }]) => !kind.startsWith('(') && count - (beforeKinds.get(kind)?.count ?? 0) === n).map(([kind]) => kind);
  const lastOf = (kind: string) => {
    let found = -1;
    for (let node = 0; node < graph.nodeCount; node++) if (kindOf(graph, node) === kind) found = node;
    return found;
  };
  const rows = perDispute.map((kind) => ({ kind, node: lastOf(kind) })).map((row) => ({ ...row, retained: retained(row.node) }));
  rows.sort((a, b) => b.retained - a.retained);
  console.log('\nclasses with one more instance per dispute: what one instance retains');
  for (const row of rows.slice(0, 15)) console.log(`  ${row.kind.padEnd(48)} ${KiB(row.retained).padStart(10)}`);

  const procedure = rows.find((row) => row.kind === 'DisputeProcedure')?.node;
  if (procedure !== undefined) {
    console.log('\none DisputeProcedure, field by field: retained / its data as a structure (shared parts included)');
    const fieldRows = edgesOf(graph, procedure)
      .filter(({ name }) => !name.startsWith('[') && name !== 'map' && name !== '__proto__')
      .map(({ name, to }) => ({ name, retained: retained(to), data: dataSize(graph, to) }))
      .sort((a, b) => b.data - a.data);
    for (const row of fieldRows.slice(0, 12)) console.log(`  ${row.name.padEnd(48)} ${KiB(row.retained).padStart(10)} / ${KiB(row.data).padStart(10)}`);
  }

  // The workflow's own objects: the activator's fields, and its per-workflow module instances.
  const activator = rows.find((row) => row.kind === 'Activator')?.node;
  if (activator === undefined) return;
  console.log('\none Activator (the workflow inside the V8 context), field by field:');
  const fields = edgesOf(graph, activator).filter(({ name }) => !name.startsWith('['));
  const fieldRows = fields.map(({ name, to }) => ({ name, retained: retained(to) })).sort((a, b) => b.retained - a.retained);
  for (const row of fieldRows.slice(0, 12)) console.log(`  ${row.name.padEnd(48)} ${KiB(row.retained).padStart(10)}`);
  const moduleCache = fields.find(({ name }) => name === 'moduleCache')?.to;
  if (moduleCache === undefined) return;
  // A Map's entries sit in its hidden table: key, value, key, value, …
  const table = edgesOf(graph, moduleCache).find(({ name }) => name === 'table')?.to;
  if (table === undefined) return;
  const slots = edgesOf(graph, table).map(({ to }) => to);
  const modules: { id: string; retained: number }[] = [];
  for (let i = 0; i < slots.length; i++) {
    const node = slots[i]!;
    if (graph.typeOf(node) !== 'object' || !edgesOf(graph, node).some(({ name }) => name === 'exports')) continue;
    // The key (the module's id, its path in the bundle) sits just before its value.
    const key = slots[i - 1];
    const id = key !== undefined && graph.typeOf(key).endsWith('string') ? graph.nameOf(key) : `#${i}`;
    modules.push({ id, retained: retained(node) });
  }
  modules.sort((a, b) => b.retained - a.retained);
  console.log(`\nits ${modules.length} modules instantiated per workflow (module exports retained):`);
  for (const row of modules.slice(0, 25)) console.log(`  ${row.id.slice(-60).padEnd(60)} ${KiB(row.retained).padStart(10)}`);
  console.log(`  all of them: ${KiB(modules.reduce((sum, row) => sum + row.retained, 0))} (retained one by one; what they share is in none)`);
}
