import { readFileSync } from 'node:fs';

// Where a process spent its CPU: a .cpuprofile (`node --cpu-prof --cpu-prof-dir=DIR ...`, one file
// per thread; the worker's workflows run on their own thread) summed by self time per package or
// project file, idle left out. `--under NAME` keeps only samples with a frame of that function on
// the stack (e.g. importWorkflows: the workflow modules' evaluation; activate: the workflow tasks).
//   npx tsx bench/cpu-profile.ts DIR/CPU.*.cpuprofile [--under NAME] [--top 30]

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function summarise(file: string, under: string | undefined, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const onStack = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)!.callFrame.functionName === under) return true;
    return false;
  };
  const totals = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || (under && !onStack(id))) return;
    const micros = profile.timeDeltas[i] ?? 0;
    busy += micros;
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    // A workflow bundle's frames name its modules only through the source map: kept whole.
    const key = inPackage ? inPackage[1]! : url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '') || functionName;
    totals.set(key, (totals.get(key) ?? 0) + micros);
  });
  console.log(`${file}: ${(busy / 1000).toFixed(0)} ms busy${under ? ` under ${under}` : ''}`);
  for (const [key, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${key}`);
  }
}

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const under = option('--under');
const top = Number(option('--top') ?? 30);
for (const file of args) summarise(file, under, top);
