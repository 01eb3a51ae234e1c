/**
 * The table bench/speed prints: one row per line of issue 15's table — what,
 * sealflow (and the build measured before it, with --before), its peer or
 * floor from the same invocation, the ratio, the goal, and whether it is met.
 */
export interface Row {
  readonly what: string;
  readonly sealflow: string;
  /** The --before build's figure, when one was given. */
  readonly before?: string;
  readonly peer: string;
  readonly ratio: string;
  readonly goal: string;
  readonly met: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTable(rows: readonly Row[], withBefore: boolean): string {
  const head = withBefore ? ['what', 'before', 'sealflow', 'peer or floor, same run', 'ratio', 'goal', 'met?'] : ['what', 'sealflow', 'peer or floor, same run', 'ratio', 'goal', 'met?'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = withBefore ? [r.what, r.before ?? '—', r.sealflow, r.peer, r.ratio, r.goal, r.met] : [r.what, r.sealflow, r.peer, r.ratio, r.goal, r.met];
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** "0.09 CPU-s, 0.12 s wall". */
export function cpuWall(t: { readonly cpu: number; readonly wall: number }): string {
  return `${t.cpu.toFixed(3)} CPU-s, ${t.wall.toFixed(3)} s wall`;
}

/** The verdict of a goal checked on CPU and on wall time separately (wall is the goal; CPU is what a busy machine can still show). */
export function verdict(cpuOk: boolean, wallOk: boolean): string {
  if (cpuOk && wallOk) return 'met';
  if (cpuOk) return 'met on CPU, not on wall (load?)';
  if (wallOk) return 'met on wall, not on CPU';
  return 'not met';
}

export const x = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');
