/**
 * Resident memory of a process and all its descendants, read from /proc
 * (Linux). A sample sums the RSS of every live process in the tree; shared
 * pages (the `node` binary, libraries) count once per process, so the sum
 * overstates what the tree holds in RAM — it is an upper bound, reported as
 * such. Processes that live shorter than the sampling interval may be missed.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_KIB = 4; // x86-64 and arm64 Linux base pages as /proc/<pid>/stat counts them

interface Proc { readonly ppid: number; readonly rssKiB: number }

async function readProc(pid: number): Promise<Proc | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces and parentheses): state ppid … rss is field 24.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), rssKiB: Number(rest[21]) * PAGE_KIB };
  } catch {
    return null; // exited meanwhile
  }
}

/**
 * Sum of RSS (KiB) over `root` and its descendants, and how many processes.
 * Only pids ≥ root are examined: Linux hands out pids in increasing order, so
 * descendants started after the root have larger pids (until pid_max wraps).
 */
export async function treeRss(root: number): Promise<{ rssKiB: number; processes: number }> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => p >= root);
  const procs = new Map<number, Proc>();
  await Promise.all(pids.map(async (p) => {
    const info = await readProc(p);
    if (info) procs.set(p, info);
  }));
  const inTree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, info] of procs) if (!inTree.has(pid) && inTree.has(info.ppid)) { inTree.add(pid); grew = true; }
  }
  let rssKiB = 0;
  let processes = 0;
  for (const pid of inTree) {
    const info = procs.get(pid);
    if (info) { rssKiB += info.rssKiB; processes++; }
  }
  return { rssKiB, processes };
}

/** Samples `treeRss(root)` every `intervalMs` until stopped; keeps the peaks. */
export class TreeSampler {
  peakKiB = 0;
  peakProcesses = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly root: number, private readonly intervalMs = 100) {}

  start(): void {
    const tick = async () => {
      if (this.busy) return;
      this.busy = true;
      try {
        const s = await treeRss(this.root);
        if (s.processes > 0) {
          this.samples++;
          this.peakKiB = Math.max(this.peakKiB, s.rssKiB);
          this.peakProcesses = Math.max(this.peakProcesses, s.processes);
        }
      } finally {
        this.busy = false;
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
