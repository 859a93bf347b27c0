/** A clean kprobe capture in the reference probe format, for tests. */
export interface Line { text: string; pid: number; cpu: number; probe: string }

export const hex = (n: bigint): string => '0x' + n.toString(16);
const DIR_BASE = 0xffff888004a10000n;

/** A clean capture: tasks doing slow lookups with the reference probes, interleaved by `order`. */
export function capture(order: number[], nTasks: number): Line[] {
  let nextDentry = 0xffff888005d00000n;
  const scripts: Line[][] = [];
  for (let t = 0; t < nTasks; t++) {
    const pid = 300 + t, cpu = t % 2, comm = 'find';
    const inode = DIR_BASE + BigInt(t % 2) * 0x1000n, sem = inode + 0xa0n, parent = inode + 0x20000n;
    const L = (probe: string, rest: string): Line => ({ text: `${comm}-${pid}`.padStart(16) + ` [00${cpu}] ..... TS: ${probe}: ${rest}`, pid, cpu, probe });
    const s: Line[] = [L('sys_exit', 'NR 4 = 0')];
    for (let k = 0; k < 3; k++) {
      const d = hex(nextDentry += 0x100n);
      s.push(
        L('dr', `(down_read+0x0/0x50) sem=${hex(sem)}`),
        L('dr_ret', '(walk_component+0xd1/0x150 <- down_read) arg1=0x0'),
        L('lkslow', `(__lookup_slow+0x0/0x190) name="f${t}${k}/x" nlen=3 dir=${hex(parent)} dinode=${hex(inode)} flags=0x0`),
        L('dap', `(d_alloc_parallel+0x0/0x5a0) parent=${hex(parent)} pinode=${hex(inode)} name="f${t}${k}/x" nlen=3`),
        L('dap_ret', `(__lookup_slow+0x61/0x190 <- d_alloc_parallel) ret=${d} dflags=0x10000000`),
        L('fs_lookup_ext4', `(ext4_lookup+0x0/0x230) dir=${hex(inode)} dentry=${d} flags=0x0 dname="f${t}${k}"`),
        L('dsplice', `(d_splice_alias+0x0/0x4b0) inode=0x0 dentry=${d} parent=${hex(parent)} dname="f${t}${k}"`),
        L('dsplice_ret', '(ext4_lookup+0x9c/0x230 <- d_splice_alias) ret=0x0'),
        L('fs_lookup_ext4_ret', '(__lookup_slow+0x9b/0x190 <- ext4_lookup) ret=0x0'),
        L('unhashwake', `(__d_lookup_unhash_wake+0x0/0x60) dentry=${d} parent=${hex(parent)} dname="f${t}${k}" dflags=0x10000008`),
        L('unhash', `(__d_lookup_unhash+0x0/0xe0) dentry=${d} parent=${hex(parent)} dname="f${t}${k}" dflags=0x10000008`),
        L('lkslow_ret', `(walk_component+0xde/0x150 <- __lookup_slow) ret=${d}`),
        L('ur', `(up_read+0x0/0x40) sem=${hex(sem)}`),
        L('sys_exit', 'NR 4 = 0'),
      );
    }
    scripts.push(s);
  }
  const out: Line[] = [];
  const at = new Array<number>(nTasks).fill(0);
  let i = 0;
  while (out.length < scripts.reduce((n, s) => n + s.length, 0)) {
    const t = (order[i++ % Math.max(order.length, 1)] ?? 0) % nTasks;
    const pick = at[t]! < scripts[t]!.length ? t : at.findIndex((a, j) => a < scripts[j]!.length);
    out.push(scripts[pick]![at[pick]!++]!);
  }
  return out;
}

export function render(lines: Line[]): string {
  let us = 100_000_000;
  return lines.map((l) => (l.probe === 'LOST' ? l.text : l.text.replace('TS', `${Math.floor(us / 1e6)}.${String((us += 7) % 1e6).padStart(6, '0')}`))).join('\n') + '\n';
}

