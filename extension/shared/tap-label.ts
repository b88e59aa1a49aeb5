// How a tap is named to a person: a launched process's stdio by the process ("rpcserver stdio"),
// other taps by their spec.

/** "rpcserver stdio" for "stdio:PID" of a known process; the spec otherwise. */
export function tapLabel(spec: string, processes: readonly { pid: number; name: string }[] | undefined): string {
  const m = /^stdio:(\d+)$/.exec(spec);
  if (!m) return spec;
  const p = processes?.find((x) => x.pid === Number(m[1]));
  return p ? `${p.name} stdio` : spec;
}
