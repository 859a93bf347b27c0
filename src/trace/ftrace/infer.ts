/**
 * Infers `offsetof(struct inode, i_rwsem)` from a capture itself, so a plain `kinv check capture.txt`
 * works on kernels whose layout differs (lockdep builds, other versions): in the reference probe
 * set, the parent's `down_read` (`dr: … sem=S`) comes just before `__lookup_slow`
 * (`lkslow: … dinode=I`) of the same task, and S − I is the offset.
 */
const DR = /^\s*(.*?)-(\d+)\s+.*?\bdr: \([^)]*\) sem=(?:0x)?([0-9a-f]+)/;
const LKSLOW = /^\s*(.*?)-(\d+)\s+.*?\blkslow: \([^)]*\).*?\bdinode=(?:0x)?([0-9a-f]+)/;

/** The offset most pairs agree on, or undefined when the text has no such pair. */
export function inferIrwsemOffset(text: string): number | undefined {
  const lastSem = new Map<string, bigint>();
  const votes = new Map<number, number>();
  for (const line of text.split('\n')) {
    let m = DR.exec(line);
    if (m) { lastSem.set(m[2]!, BigInt('0x' + m[3]!)); continue; }
    m = LKSLOW.exec(line);
    if (!m) continue;
    const sem = lastSem.get(m[2]!);
    if (sem === undefined) continue;
    const off = Number(sem - BigInt('0x' + m[3]!));
    if (off > 0 && off < 4096) votes.set(off, (votes.get(off) ?? 0) + 1);
    lastSem.delete(m[2]!);
  }
  let best: number | undefined;
  let n = 0;
  for (const [off, c] of votes) if (c > n) { best = off; n = c; }
  return best;
}
