/**
 * Generates a large ftrace text log for the reader benchmark: the function_graph tracer
 * (funcgraph-abstime and funcgraph-proc on) with the reference kprobe set printed as graph
 * comments, many tasks over a few CPUs with `=>` switch markers, realistic nesting of the slow
 * lookup path, and mostly unwanted helper functions, as in a real capture.
 */
import { createWriteStream } from 'node:fs';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const HELPERS = ['_raw_spin_lock', '_raw_spin_unlock', 'kmem_cache_alloc', 'kmem_cache_free', '__might_sleep', 'rcu_read_lock_held', 'mutex_lock', 'mutex_unlock', 'preempt_count_add', 'preempt_count_sub', 'xfs_ilock', 'xfs_iunlock', 'memcpy', 'strncpy_from_user', 'lockref_get_not_dead', '__d_lookup_rcu', 'legitimize_path.isra.0', 'security_inode_permission', 'generic_permission', 'make_vfsuid'];

interface GenOptions { tasks?: number; cpus?: number; seed?: number; dirs?: number }

/** A log written in 1 MB batches: `emit` appends, `flushIfFull` writes a full batch, `close` the rest. */
class LogWriter {
  private readonly out;
  private buf: string[] = [];
  private bufLen = 0;
  written = 0;
  lines = 0;

  constructor(path: string) {
    this.out = createWriteStream(path, { highWaterMark: 1 << 22 });
  }

  emit(s: string): void {
    this.buf.push(s); this.bufLen += s.length; this.written += s.length; this.lines++;
  }

  async flushIfFull(): Promise<void> {
    if (this.bufLen > 1 << 20) await this.flush();
  }

  async close(): Promise<{ bytes: number; lines: number }> {
    await this.flush();
    await new Promise<void>((r, j) => this.out.end((e?: Error | null) => (e ? j(e) : r())));
    return { bytes: this.written, lines: this.lines };
  }

  private async flush(): Promise<void> {
    const s = this.buf.join('');
    this.buf = []; this.bufLen = 0;
    if (!this.out.write(s)) await new Promise<void>((r) => this.out.once('drain', () => r()));
  }
}

/** Writes about `bytes` bytes of log to `path`; returns the bytes and lines written. */
export async function generateFtrace(path: string, bytes: number, opts: GenOptions = {}): Promise<{ bytes: number; lines: number }> {
  const rand = rng(opts.seed ?? 7);
  const nTasks = opts.tasks ?? 48;
  const nCpus = opts.cpus ?? 4;
  const nDirs = opts.dirs ?? 32;
  const log = new LogWriter(path);
  const emit = (s: string): void => log.emit(s);

  emit('# tracer: function_graph\n');
  emit('#\n');
  emit('#     TIME        CPU  TASK/PID         DURATION                  FUNCTION CALLS\n');
  emit('#      |          |     |    |           |   |                     |   |   |   |\n');

  let clockUs = 5_000_000; // 5 s after boot, in µs (fraction kept as an integer)
  const cpuTask: number[] = new Array<number>(nCpus).fill(-1);
  const comm = (pid: number): string => (pid % 3 === 0 ? 'ash' : pid % 3 === 1 ? 'find' : 'kworker/u8:2');
  const proc = (pid: number): string => { const p = `${comm(pid).slice(0, 7)}-${pid}`; return p.length >= 14 ? p : ' '.repeat((14 - p.length) >> 1) + p + ' '.repeat(14 - p.length - ((14 - p.length) >> 1)); };
  const ts = (): string => { clockUs += 1 + Math.floor(rand() * 3); const s = Math.floor(clockUs / 1e6); return `${String(s).padStart(5)}.${String(clockUs % 1e6).padStart(6, '0')}`; };
  const dur = (us: number): string => {
    const mark = us > 100 ? '!' : us > 10 ? '+' : ' ';
    return `${mark} ${us.toFixed(3).padStart(8)} us  `;
  };
  const BLANK = '              ';
  const ind = (d: number): string => ' '.repeat(2 + 2 * d);

  let cpu = 0;
  let pid: number;
  let prefix = '';
  const hdr = (): string => `${ts()} | ${String(cpu).padStart(3)}) ${prefix} | `;
  const entry = (d: number, fn: string): void => emit(`${hdr()}${BLANK}|${ind(d)}${fn}() {\n`);
  const exit = (d: number, us: number): void => emit(`${hdr()}${dur(us)}|${ind(d)}}\n`);
  const leaf = (d: number, fn: string): void => emit(`${hdr()}${dur(0.1 + rand() * 2)}|${ind(d)}${fn}();\n`);
  const comment = (d: number, text: string): void => emit(`${hdr()}${BLANK}|${ind(d)}/* ${text} */\n`);
  const helpers = (d: number, n: number): void => { for (let i = 0; i < n; i++) leaf(d, HELPERS[Math.floor(rand() * HELPERS.length)]!); };
  const hex = (n: bigint): string => '0x' + n.toString(16);

  const inodeBase = 0xffff888004a3e000n;
  let dentryNext = 0xffff888005100000n;

  while (log.written < bytes) {
    cpu = Math.floor(rand() * nCpus);
    pid = 1000 + Math.floor(rand() * nTasks);
    if (cpuTask[cpu] !== pid) {
      const prev = cpuTask[cpu]! < 0 ? 0 : cpuTask[cpu]!;
      emit(' ------------------------------------------\n');
      emit(` ${String(cpu).padStart(3)})  ${prev === 0 ? '<idle>-0' : `${comm(prev).slice(0, 7)}-${prev}`}  =>  ${comm(pid).slice(0, 7)}-${pid}\n`);
      emit(' ------------------------------------------\n');
      emit('\n');
      cpuTask[cpu] = pid;
    }
    prefix = proc(pid);
    const dir = Math.floor(rand() * nDirs);
    const dinode = inodeBase + BigInt(dir) * 0x400n;
    const sem = dinode + 0xa0n;
    const parent = 0xffff888006000000n + BigInt(dir) * 0xc0n;
    const name = `File${Math.floor(rand() * 100)}`;
    const slow = rand() < 0.3;
    entry(0, 'do_sys_openat2');
    helpers(1, 2 + Math.floor(rand() * 4));
    entry(1, 'path_openat');
    entry(2, 'link_path_walk.part.0');
    helpers(3, 3 + Math.floor(rand() * 6));
    entry(3, 'walk_component');
    entry(4, 'lookup_fast');
    helpers(5, 2 + Math.floor(rand() * 4));
    exit(4, 1 + rand() * 3);
    if (slow) {
      comment(4, `dr: (down_read+0x0/0x30) sem=${hex(sem)}`);
      leaf(4, 'down_read');
      comment(4, 'dr_ret: (walk_component+0xcc/0x150 <- down_read)');
      comment(4, `lkslow: (__lookup_slow+0x0/0x130) name="${name}" nlen=${name.length} dir=${hex(parent)} dinode=${hex(dinode)} flags=0x1`);
      entry(4, '__lookup_slow');
      comment(5, `dap: (d_alloc_parallel+0x0/0x5c0) parent=${hex(parent)} pinode=${hex(dinode)} name="${name}" nlen=${name.length}`);
      entry(5, 'd_alloc_parallel');
      helpers(6, 4 + Math.floor(rand() * 6));
      const d = dentryNext; dentryNext += 0xc0n;
      exit(5, 2 + rand() * 5);
      comment(5, `dap_ret: (__lookup_slow+0x69/0x130 <- d_alloc_parallel) ret=${hex(d)} dflags=0x10000000`);
      comment(5, `fs_lookup_xfs: (xfs_vn_lookup+0x0/0xb0 [xfs]) dir=${hex(dinode)} dentry=${hex(d)} flags=0x1 dname="${name}"`);
      entry(5, 'xfs_vn_lookup [xfs]');
      helpers(6, 6 + Math.floor(rand() * 10));
      comment(6, `dsplice: (d_splice_alias+0x0/0x470) inode=0x0 dentry=${hex(d)} parent=${hex(parent)} dname="${name}"`);
      entry(6, 'd_splice_alias');
      helpers(7, 2);
      comment(7, `unhash: (__d_lookup_unhash+0x0/0xb0) dentry=${hex(d)} parent=${hex(parent)} dname="${name}" dflags=0x10000088`);
      exit(6, 1 + rand());
      comment(6, `dsplice_ret: (xfs_vn_lookup+0x7c/0xb0 [xfs] <- d_splice_alias) ret=0x0`);
      exit(5, 5 + rand() * 20);
      comment(5, `fs_lookup_xfs_ret: (__lookup_slow+0x81/0x130 <- xfs_vn_lookup) ret=0x0`);
      exit(4, 10 + rand() * 30);
      comment(4, `lkslow_ret: (walk_component+0xe0/0x150 <- __lookup_slow) ret=${hex(d)}`);
      comment(4, `ur: (up_read+0x0/0x30) sem=${hex(sem)}`);
      leaf(4, 'up_read');
    }
    helpers(4, 1 + Math.floor(rand() * 3));
    exit(3, 3 + rand() * 40);
    exit(2, 5 + rand() * 50);
    helpers(2, 2 + Math.floor(rand() * 5));
    exit(1, 8 + rand() * 60);
    exit(0, 10 + rand() * 80);
    comment(0, `sys_exit: NR 257 = ${slow ? -2 : 3}`);
    await log.flushIfFull();
  }
  return log.close();
}

/**
 * Writes about `bytes` bytes of a kprobe-dense log in the reference probe set's format (the `nop`
 * tracer, every line a record the VFS spec maps): slow lookups of many tasks over a few CPUs, each
 * the down_read, __lookup_slow, d_alloc_parallel, ->lookup, d_splice_alias, __d_lookup_unhash and
 * up_read probes with their returns, then the syscall's exit. Dentries are new addresses; names
 * and directories repeat, as in a capture of a busy tree.
 */
export async function generateKprobeFtrace(path: string, bytes: number, opts: GenOptions = {}): Promise<{ bytes: number; lines: number }> {
  const rand = rng(opts.seed ?? 11);
  const nTasks = opts.tasks ?? 48;
  const nCpus = opts.cpus ?? 4;
  const nDirs = opts.dirs ?? 32;
  const log = new LogWriter(path);
  const emit = (s: string): void => log.emit(s);
  emit('# tracer: nop\n#\n');
  emit('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n');
  emit('#              | |         |   |||||     |         |\n');
  let clockUs = 5_000_000;
  const hex = (n: bigint): string => '0x' + n.toString(16);
  const inodeBase = 0xffff888004a3e000n;
  let dentryNext = 0xffff888005100000n;
  while (log.written < bytes) {
    const cpu = Math.floor(rand() * nCpus);
    const pid = 1000 + Math.floor(rand() * nTasks);
    const task = `${(pid % 3 === 0 ? 'ash' : pid % 3 === 1 ? 'find' : 'stat')}-${pid}`.padStart(16);
    const line = (rec: string): void => {
      clockUs += 1 + Math.floor(rand() * 3);
      emit(`${task}     [${String(cpu).padStart(3, '0')}] .....  ${String(Math.floor(clockUs / 1e6)).padStart(5)}.${String(clockUs % 1e6).padStart(6, '0')}: ${rec}\n`);
    };
    const dir = Math.floor(rand() * nDirs);
    const dinode = inodeBase + BigInt(dir) * 0x400n;
    const sem = dinode + 0xa0n;
    const parent = 0xffff888006000000n + BigInt(dir) * 0xc0n;
    const name = `File${Math.floor(rand() * 100)}`;
    const d = dentryNext; dentryNext += 0xc0n;
    line(`dr: (down_read+0x0/0x30) sem=${hex(sem)}`);
    line('dr_ret: (walk_component+0xcc/0x150 <- down_read)');
    line(`lkslow: (__lookup_slow+0x0/0x130) name="${name}" nlen=${name.length} dir=${hex(parent)} dinode=${hex(dinode)} flags=0x1`);
    line(`dap: (d_alloc_parallel+0x0/0x5c0) parent=${hex(parent)} pinode=${hex(dinode)} name="${name}" nlen=${name.length}`);
    line(`dap_ret: (__lookup_slow+0x69/0x130 <- d_alloc_parallel) ret=${hex(d)} dflags=0x10000000`);
    line(`fs_lookup_xfs: (xfs_vn_lookup+0x0/0xb0 [xfs]) dir=${hex(dinode)} dentry=${hex(d)} flags=0x1 dname="${name}"`);
    line(`dsplice: (d_splice_alias+0x0/0x470) inode=0x0 dentry=${hex(d)} parent=${hex(parent)} dname="${name}"`);
    line(`unhash: (__d_lookup_unhash+0x0/0xb0) dentry=${hex(d)} parent=${hex(parent)} dname="${name}" dflags=0x10000088`);
    line('dsplice_ret: (xfs_vn_lookup+0x7c/0xb0 [xfs] <- d_splice_alias) ret=0x0');
    line('fs_lookup_xfs_ret: (__lookup_slow+0x81/0x130 <- xfs_vn_lookup) ret=0x0');
    line(`lkslow_ret: (walk_component+0xe0/0x150 <- __lookup_slow) ret=${hex(d)}`);
    line(`ur: (up_read+0x0/0x30) sem=${hex(sem)}`);
    line('sys_exit: NR 257 = -2');
    await log.flushIfFull();
  }
  return log.close();
}

if (process.argv[1] !== undefined && /gen-ftrace\.ts$/.test(process.argv[1])) {
  const path = process.argv[2] ?? '/tmp/kinv-bench.ftrace.txt';
  const mb = Number(process.argv[3] ?? 200);
  generateFtrace(path, mb * 1024 * 1024).then((r) => console.log(`${path}: ${(r.bytes / 1048576).toFixed(1)} MB, ${r.lines} lines`), (e: unknown) => { console.error(e); process.exit(1); });
}
