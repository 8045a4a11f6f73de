import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on Linux). */
const TICKS_PER_S = 100;

/** CPU ms used so far by every process on the machine, by pid (/proc/<pid>/stat utime + stime), with its command name. */
function snapshot(): Map<number, { comm: string; ms: number }> {
  const out = new Map<number, { comm: string; ms: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command name is in parentheses and may hold spaces: fields are counted after its ')'
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is field 3 (state): utime is field 14, stime field 15
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
      out.set(Number(entry), { comm, ms });
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

/** Busy and total CPU ms of the whole machine (/proc/stat's first line), over all cores. */
function machine(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const t = ticks.map(Number);
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = t[3] + t[4];
  return { busy: ((total - idle) * 1000) / TICKS_PER_S, total: (total * 1000) / TICKS_PER_S };
}

/**
 * Where the machine's CPU went during a bench scenario, by role: each named process (the API,
 * the worker), PostgreSQL (every `postgres` process), Redis, this bench process (load generator
 * and the fake provider and receiver servers) and everything else. Start it before the load, call
 * the returned function after: CPU ms per role over the interval, plus the machine's busy and
 * total ms (total = cores × wall time). 10 ms resolution per process (USER_HZ).
 */
export function cpuAccounting(named: Record<string, number | undefined>): () => Record<string, number> {
  const before = snapshot();
  const m0 = machine();
  return () => {
    const after = snapshot();
    const m1 = machine();
    const roles: Record<string, number> = {};
    const roleOf = new Map<number, string>();
    for (const [role, pid] of Object.entries(named)) if (pid) roleOf.set(pid, role);
    roleOf.set(process.pid, 'bench (load + fakes)');
    for (const [pid, { comm, ms }] of after) {
      const used = ms - (before.get(pid)?.ms ?? 0);
      if (used <= 0) continue;
      const role =
        roleOf.get(pid) ??
        (comm === 'postgres' ? 'postgres' : comm.startsWith('redis-server') ? 'redis' : 'other');
      roles[role] = (roles[role] ?? 0) + used;
    }
    roles['machine busy'] = m1.busy - m0.busy;
    roles['machine total'] = m1.total - m0.total;
    return roles;
  };
}
