import { readFileSync } from 'node:fs';

/** A V8 `.cpuprofile` (Profiler.stop's `profile`): nodes with self samples, sample ids and time deltas (µs). */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where self time went, grouped: a node_modules package, our own file, or a V8/Node category. */
function bucket(url: string, fn: string): string {
  if (!url)
    return fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)' ? fn : `(native) ${fn}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const ours = /\/dist\/(.*)$/.exec(url);
  return ours ? ours[1] : url;
}

/**
 * Summarises a CPU profile: self time per bucket and the top functions, as percentages of the
 * non-idle samples.
 * @returns `{ busyMs, buckets: [name, %][], functions: [name, %][] }` (top `top` of each).
 */
export function summariseProfile(file: string, top = 15) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    // idle, and the profiler's own inspector session
    if (functionName === '(idle)' || url.startsWith('node:inspector')) continue;
    busy += us;
    const b = bucket(url, functionName);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
    const f = `${functionName || '(anonymous)'} ${bucket(url, functionName)}:${lineNumber + 1}`;
    functions.set(f, (functions.get(f) ?? 0) + us);
  }
  const pct = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, +((us / busy) * 100).toFixed(1)] as [string, number]);
  return { busyMs: Math.round(busy / 1000), buckets: pct(buckets), functions: pct(functions) };
}

if (require.main === module) {
  const s = summariseProfile(process.argv[2], Number(process.argv[3] ?? 20));
  console.log(`busy ${s.busyMs} ms`);
  console.table(s.buckets.map(([k, v]) => ({ bucket: k, '% self': v })));
  console.table(s.functions.map(([k, v]) => ({ function: k, '% self': v })));
}
