#!/usr/bin/env node
// Turns the guest's raw results (OUT/guest/...) into one folder per capture with the trace file
// and its metadata.json. Called by capture.sh; also usable to rebuild metadata from a kept guest
// folder. Traces are read as bytes (latin1): kernel strings need not be UTF-8.
import { readFileSync, writeFileSync, existsSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1] ?? '';
const OUT = args.out ?? args.recount;
const G = join(OUT, 'guest');
const read = (p, fallback = '') => (existsSync(p) ? readFileSync(p, 'latin1') : fallback);
const lines = (p) => read(p).split('\n').filter((l) => l.trim() !== '');

// Per capture: which file the guest wrote, what it is, and what workload ran.
const CAPTURES = {
  'kprobe-trace': { file: 'trace.txt', source: 'tracefs trace file (read after the run), reference probe set', workload: 'spellings' },
  'kprobe-pipe': { file: 'trace_pipe.txt', source: 'tracefs trace_pipe (streamed during the run), reference probe set', workload: 'spellings' },
  graph: { file: 'trace.txt', source: 'function_graph tracer (funcgraph-proc, funcgraph-abstime), limited to the lookup functions', workload: 'spellings' },
  collision: { file: 'trace.txt', source: 'tracefs trace file (read after the run), reference probe set', workload: 'collision' },
  ordinary: { file: 'trace.txt', source: 'tracefs trace file (read after the run); probe set chosen with --probeset (see probeSet); lock probes filtered to the tracked directories, return probes of the lock functions and sys_exit to the programs by comm', workload: 'ordinary' },
  wild: { file: 'trace.txt', source: 'tracefs trace file (read after the run); probe set chosen with --probeset (see probeSet); lock probes filtered to the tracked directories; no comm filter: return probes of the lock functions, sys_exit and sched_process_exit record every task', workload: 'wild' },
  layered: { file: 'trace.txt', source: 'tracefs trace file (read after the run); probe set chosen with --probeset (see probeSet); lock probes filtered to the tracked directories; no comm filter: return probes of the lock functions, sys_exit and sched_process_exit record every task', workload: 'layered' },
  netfs: { file: 'trace.txt', source: 'tracefs trace file (read after the run); probe set chosen with --probeset (see probeSet); lock probes filtered to the tracked directories; no comm filter: return probes of the lock functions, sys_exit and sched_process_exit record every task', workload: 'netfs' },
  ninep: { file: 'trace.txt', source: 'tracefs trace file (read after the run); probe set chosen with --probeset (see probeSet); lock probes filtered to the tracked directories; no comm filter: return probes of the lock functions, sys_exit and sched_process_exit record every task', workload: 'ninep' },
  syscalls: { file: 'trace.txt', source: 'tracefs trace file (read after the run); probe set chosen with --probeset (see probeSet); lock probes filtered to the tracked directories; no comm filter: return probes of the lock functions, sys_exit and sched_process_exit record every task', workload: 'syscalls' },
  churn: { file: 'trace.txt', source: 'tracefs trace file (read after the run), reference probe set; dr_ret, dw_ret, sys_exit also for the applets mv, mkdir, rmdir, rm', workload: 'churn' },
};

const offsets = args.recount ? {} : JSON.parse(readFileSync(args.offsets, 'utf8'));
const accepted = lines(join(G, 'probes.accepted'));
const rejected = lines(join(G, 'probes.rejected'));
// lines skipped because the function is not in available_filter_functions, or because the
// kernel's type information has no offset for them (lookup_open without struct nameidata)
const absent = lines(join(G, 'probes.absent'));
const noOffset = args.nooffset ? lines(args.nooffset) : [];
const absentVariants = lines(join(G, 'probes.variants'));
const refFunctionsPresent = lines(join(G, 'functions'));
const functions = { present: [], absent: [] };
for (const l of lines(join(G, 'functions.txt'))) {
  const [f, st] = l.split(' ');
  (st === 'present' ? functions.present : functions.absent).push(f);
}
let qemu = '';
try { qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0]; } catch { /* not recorded */ }
const workloadArgs = Object.fromEntries((args.workload ?? '').split(' ').filter(Boolean).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));

function parseStats(text) {
  const o = {};
  for (const l of text.split('\n')) {
    const m = /^([a-z ]+):\s*(\S+)/.exec(l);
    if (m) o[m[1].trim().replace(/ (\w)/g, (_, c) => c.toUpperCase())] = /^[0-9]+$/.test(m[2]) ? Number(m[2]) : m[2];
  }
  return o;
}

// "<comm>-<pid> [cpu] flags ts: event:" with an optional "(tgid)" column; returns the event name.
const EVENT = /^\s*.+?-\d+\s+(?:\(\s*[\d-]+\)\s+)?\[\d{3}\]\s+(?:\S{4,7}\s+)?\d+(?:\.\d+)?:\s+([\w.]+):/;
function countKprobe(text) {
  const byName = {};
  let events = 0, other = 0, lost = 0, header = 0;
  for (const l of text.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('#')) { header++; continue; }
    if (/LOST \d+ EVENTS/.test(l)) { lost++; continue; }
    const m = EVENT.exec(l);
    if (m) { events++; byName[m[1]] = (byName[m[1]] ?? 0) + 1; } else other++;
  }
  return { lines: events + other + lost + header, events, headerLines: header, otherLines: other, lostMarkers: lost, byName: sortObj(byName) };
}
function countGraph(text) {
  const entries = {}, leaves = {}, comments = {};
  let exits = 0, total = 0, header = 0, lost = 0, other = 0;
  for (const l of text.split('\n')) {
    if (l === '') continue;
    total++;
    if (l.startsWith('#')) { header++; continue; }
    if (/LOST \d+ EVENTS/.test(l)) { lost++; continue; }
    const body = l.split('|').slice(-1)[0] ?? '';
    let m;
    if ((m = /^\s*([\w.]+)(?: \[\w+\])?\(\) \{/.exec(body))) entries[m[1]] = (entries[m[1]] ?? 0) + 1;
    else if ((m = /^\s*([\w.]+)(?: \[\w+\])?\(\);/.exec(body))) leaves[m[1]] = (leaves[m[1]] ?? 0) + 1;
    else if (/^\s*\}/.test(body)) exits++;
    else if ((m = /^\s*\/\* ([\w.]+):/.exec(body))) comments[m[1]] = (comments[m[1]] ?? 0) + 1;
    else other++;
  }
  return { lines: total, headerLines: header, lostMarkers: lost, otherLines: other, entries: sortObj(entries), leaves: sortObj(leaves), exits, events: sortObj(comments) };
}
function sortObj(o) { return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))); }

// `--recount FOLDER`: recount the records of a capture folder's trace into its metadata.json (for
// a capture whose metadata was written by an older counting rule) and stop.
if (args.recount) {
  const m = JSON.parse(readFileSync(join(args.recount, 'metadata.json'), 'utf8'));
  const text = readFileSync(join(args.recount, m.file), 'latin1');
  m.counts = m.capture === 'graph' ? countGraph(text) : countKprobe(text);
  writeFileSync(join(args.recount, 'metadata.json'), JSON.stringify(m, null, 2) + '\n');
  console.log(`${args.recount}: ${m.counts.events} events`);
  process.exit(0);
}

const guestLog = lines(join(G, 'guest.log'));
// Kernel trouble during the run (an oops, a lockup, a warning) makes a capture suspect: record it.
const dmesgProblems = read(join(G, 'dmesg.txt')).split('\n')
  .filter((l) => /Oops|BUG:|WARNING:|soft lockup|hung_task|blocked for more than|Call Trace/.test(l)).slice(0, 40);
const summary = [];
for (const name of readdirSync(G)) {
  const spec = CAPTURES[name];
  if (!spec) continue;
  const src = join(G, name);
  const dst = join(OUT, name);
  mkdirSync(dst, { recursive: true });
  const tracePath = join(src, spec.file);
  if (!existsSync(tracePath)) throw new Error(`capture ${name}: the guest wrote no ${spec.file}`);
  copyFileSync(tracePath, join(dst, spec.file));
  const text = readFileSync(tracePath, 'latin1');
  const perCpu = readdirSync(src).filter((f) => /^stats\.cpu\d+$/.test(f)).sort()
    .map((f) => ({ cpu: Number(f.slice(9)), ...parseStats(read(join(src, f))) }));
  const [t0, t1] = read(join(src, 'times')).trim().split(' ').map(Number);
  const tracked = lines(join(src, 'sems.txt')).map((l) => {
    const [fs, di, sem, dir] = l.split(' ');
    return { fs, dir: dir ?? `/mnt/${fs}/d`, dinode: di.split('=')[1], sem: sem.split('=')[1] };
  });
  const counts = name === 'graph' ? countGraph(text) : countKprobe(text);
  const wl = spec.workload === 'ordinary'
    ? {
        kind: 'ordinary',
        description: 'per filesystem, one after another, all at once: one shell (comm lkwork) running ordinary busybox programs in p ROUNDS times (ls -la, ls -R, find ., find -name, du -s, tar -cf /dev/null ., shell globs, stat and cat of several case spellings, cp, cp -r, mv within p and across p and q, touch, mkdir/rmdir, rm, rm -r); 3 shells each doing N times `: > p/sharedI` (open O_CREAT|O_TRUNC) over 4 names in spelling shared/Shared/SHARED; 1 shell renaming p/xr0 to q/xr0 and back N times (mv); then rm -f of the shared names. Directories p, p/sub and q are tracked and pinned (a process has its cwd in each); every filesystem is freshly mounted (cold dcache) except tmpfs. workload.log lists each step with its time and pid',
        filesystems: ['tmpfs', 'ext4', 'vfat', 'xfsci (mkfs.xfs -n version=ci: ASCII case-insensitive)', ...(workloadArgs.casefold ? ['cf (ext4 made with -O casefold -E encoding=utf8; p and q made casefold with chattr +F)'] : [])],
        rounds: workloadArgs.ord_rounds, creatShells: 3, creatsPerShell: 12, crossRenames: 6,
        programs: ['lkwork (sh)', 'ls', 'find', 'du', 'tar', 'stat', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch'],
      }
    : spec.workload === 'wild'
    ? {
        kind: 'wild',
        description: 'per filesystem, one after another, all at once (guest/lkwork): 4 shells stat the same names of p, p/sub and q (dataI, DATAI, the missing nopeI) while another writes 2 to drop_caches every 0.4 s (parallel lookups of uncached names, dentries killed, inodes evicted); symlinks, readlink, realpath, `..` traversal and hard links across p and q; mkdir -p of a 9-level path, directory renames within p and across p and q, rename over an existing file and over an empty directory (mv -T), a 200-character name; a tree built and rm -rf\'d under p while a lister runs ls -R and find in it; stat of missing names then their creation in another spelling; a task whose cwd is removed (rmdir) then lists, creates in and stats `..` of it; 3 shells creating, mkdir-ing, renaming and removing the same names in spelling mixed/Mixed/MIXED. A shell running ls -la and stat over every p and q since before tracing started. Only p is pinned (a process has its cwd there): p/sub and q can be evicted and their addresses reused. No comm filter. workload.log lists each step with its time and pid',
        filesystems: ['tmpfs', 'ext4', 'vfat', 'xfsci (mkfs.xfs -n version=ci: ASCII case-insensitive)', ...(workloadArgs.casefold ? ['cf (ext4 made with -O casefold -E encoding=utf8; p and q made casefold with chattr +F)'] : [])],
        rounds: workloadArgs.ord_rounds,
      }
    : spec.workload === 'layered'
    ? {
        kind: 'layered',
        description: 'the wild tasks (see kind wild; 2 case-spelling racers) and one ordinary-programs shell (1 round), per root one after another, all at once, on: an overlay (lowerdir ext4:tmpfs, upper and work on tmpfs; a whiteout and an opaque directory made before tracing), with 3 copy-up racers (append to lower files, chmod in the lower p/sub, touch of the lower-only q, link, rename after copy-up, rm of a lower file then its re-creation, rm -r and mkdir of a lower directory); a second overlay (lowerdir squashfs, upper and work on ext4) with the same; btrfs with p/sub a subvolume and q/snap a snapshot of it; then 2 stat shells and a lister on the read-only squashfs. Throughout: 2 shells walking procfs and sysfs (ls /proc, /proc/PID of exiting children, /proc/FDPID/fd of a shell opening and closing fd 3, /proc/sys/kernel, /proc/self, /sys, /sys/class/*, /sys/fs, /sys/kernel/mm), and drop_caches every 0.4 s; at the end the fd shell is killed while a lister reads its /proc directories. Every tracked directory (p, p/sub, q of each root, the overlays\' lower and upper directories, upper roots and work dirs, /proc, /proc/sys, /proc/sys/kernel, /sys, /sys/class, /proc/FDPID, its fd and task) is pinned by a process with its cwd there, the fd shell\'s /proc directories too (they outlive it). No comm filter. setup.txt logs each mount (a failed one is left out, with its error); workload.log lists each step with its time and pid',
        filesystems: ['overlay (ext4 + tmpfs lower, tmpfs upper)', 'overlay (squashfs lower, ext4 upper)', 'btrfs (subvolume, snapshot)', 'squashfs', 'procfs', 'sysfs'],
        rounds: workloadArgs.ord_rounds,
      }
    : spec.workload === 'netfs'
    ? {
        kind: 'netfs',
        description: 'virtiofs (FUSE over virtio: fuse_lookup, fuse_atomic_open, fuse_dentry_revalidate) mounts of host directories served by the host\'s virtiofsd, one with cache=none (entries time out at once: every cached dentry is revalidated with a FUSE_LOOKUP) and one with cache=always; per mount, one after another, all at once: the wild tasks (see kind wild; 2 case-spelling racers), one ordinary-programs shell (1 round), 3 shells doing `: > p/sharedI` (open O_CREAT|O_TRUNC: ->atomic_open) in 3 spellings, 3 shells doing O_CREAT|O_EXCL of p/exclI, rm and re-creation, 1 shell renaming p/xr0 across p and q, and a watcher of the names the host changes; drop_caches every 0.4 s. On the host, while the guest runs the workload (between its "netfs: host changes on" and "off" lines), a loop renames p/hostA to p/hostB and back, replaces q/Hq by a new file, creates and removes p/hostN0..2 and p/hostdir/f in both shares (host-changes.log). p, p/sub and q of each mount are tracked and pinned. No comm filter. setup.txt logs each mount; workload.log lists each step with its time and pid',
        filesystems: ['virtiofs cache=none (vfsnone)', 'virtiofs cache=always (vfsalways)'],
        rounds: workloadArgs.ord_rounds,
      }
    : spec.workload === 'ninep'
    ? {
        kind: 'ninep',
        description: '9p (virtio-9p, 9p2000.L: v9fs_vfs_lookup, v9fs_vfs_atomic_open_dotl, v9fs_lookup_revalidate with a cache) mounts of host directories served by QEMU\'s own 9p server (-fsdev local,security_model=none), one mounted with cache=none (no ->d_revalidate; dentries deleted at their last dput; every lookup gets a new inode) and one with cache=loose (->d_revalidate; inodes found again by qid); per mount, one after another, all at once: the same tasks as kind netfs, and a shell touching p/hostT, creating in p/hostdir2 and stating the names the host removes or moves (their attributes invalidated by the guest first, so that a cached dentry is revalidated with the server), with the host-moved directories pinned by a process with its cwd there; on the host, between the guest\'s "ninep: host changes on" and "off" lines, the same changes as in the netfs shares and p/hostT removed, p/hostdir2 removed and re-created, the directory p/hostmv moved to q/hostmv and back, p/hostmvA renamed to p/hostmvB and back (host-changes.log). p, p/sub and q of each mount are tracked and pinned. No comm filter. setup.txt logs each mount; workload.log lists each step with its time and pid',
        filesystems: ['9p cache=none (9pnone)', '9p cache=loose (9ploose)'],
        rounds: workloadArgs.ord_rounds,
      }
    : spec.workload === 'syscalls'
    ? {
        kind: 'syscalls',
        description: 'per filesystem (tmpfs, ext4, XFS ASCII-CI), one after another, all at once (guest/lkwork syscalls, guest/sysx.c): renameat2 RENAME_EXCHANGE (file and directory, within p and across p and q), RENAME_NOREPLACE, RENAME_WHITEOUT; O_TMPFILE + linkat (AT_EMPTY_PATH and /proc/self/fd); mknod of a fifo, a regular file, a char device, a socket; symlink loops (ELOOP) and a 10-link chain; hard links within and across directories; unlink and rmdir of open files and directories; O_CREAT|O_EXCL of names in 3 spellings; . and .. lookups; a child whose cwd is removed under it; name_to_handle_at + drop_caches + open_by_handle_at of p/sub/deep (exportfs reconnect); truncate/utimes/chmod/chown of names being renamed; open(O_CREAT) through dangling symlinks within p and into q; 3 lookup tasks on all those names; drop_caches every 0.4 s; last, p/sub emptied and removed under a task whose cwd it is, which then looks up, creates, links, renames into and lists it, beside 2 lookup tasks. p, p/sub and q tracked and pinned. No comm filter',
        filesystems: ['tmpfs', 'ext4', 'xfsci (mkfs.xfs -n version=ci: ASCII case-insensitive)'],
        rounds: workloadArgs.ord_rounds,
      }
    : spec.workload === 'churn'
    ? {
        kind: 'churn',
        description: 'per filesystem, all at once: WORKERS shells (comm lkwork) each creating d/cK_I (open O_CREAT), stating it in another spelling, renaming it to rK_I (mv), stating the old name, mkdir and rmdir d/mK_I, and unlinking rK_I (rm), for I < FILES; and WORKERS shells running the spellings lookups of d/FileI; a process keeps its cwd in each d',
        filesystems: ['tmpfs', 'ext4', 'vfat', 'xfsci (mkfs.xfs -n version=ci: ASCII case-insensitive)'],
        files: workloadArgs.files, workers: workloadArgs.workers,
      }
    : spec.workload === 'spellings'
    ? {
        kind: 'spellings',
        description: 'per filesystem, a directory d with File0..FileN-1 (cold dcache: fresh mount, except tmpfs whose misses only are slow); WORKERS concurrent shells (comm lkwork) stat d/FileI d/fileI d/FILEI d/nopeI, worker k starting each group at spelling k; one filesystem after another; a process keeps its cwd in each d',
        filesystems: ['tmpfs', 'ext4', 'vfat', 'xfsci (mkfs.xfs -n version=ci: ASCII case-insensitive)'],
        files: workloadArgs.files, workers: workloadArgs.workers,
      }
    : {
        kind: 'collision',
        description: 'XFS ASCII-CI only: COLL_WORKERS shells (comm lkwork) for COLL_ROUNDS rounds stat every case spelling of d/abc0..d/abc4 (on disk: Abc0..Abc4), worker w starting group i of round r at spelling (w + r + i) mod 8, while another shell writes 2 to /proc/sys/vm/drop_caches back to back; a process keeps its cwd in d',
        filesystems: ['xfsci (mkfs.xfs -n version=ci)'],
        workers: workloadArgs.coll_workers, rounds: workloadArgs.coll_rounds,
      };
  const meta = {
    format: 'kinv-capture/1',
    capture: name,
    file: spec.file,
    source: existsSync(join(src, 'pipe-reader.txt')) && spec.file === 'trace.txt'
      ? spec.source.replace('tracefs trace file (read after the run)', 'tracefs trace_pipe (streamed during the run by a reader that falls behind: --pipe-read-kb, see readerLag)')
      : spec.source,
    // --pipe-read-kb: how the streamed records were read (the losses are the LOST markers; perCpu overrun)
    readerLag: existsSync(join(src, 'pipe-reader.txt')) ? read(join(src, 'pipe-reader.txt')).trim() : undefined,
    kernel: {
      release: read(join(G, 'uname-r')).trim(),
      uname: read(join(G, 'uname-a')).trim(),
      build: args['kernel-label'],
      cmdline: read(join(G, 'cmdline')).trim(),
      arch: 'x86_64',
      lookupShared: /^6\.1\./.test(read(join(G, 'uname-r')).trim())
        ? { present: false, flag: null, note: 'LOOKUP_SHARED does not exist in 6.1: lookup_shared_flag does not apply' }
        : { present: null, flag: null, note: 'not determined by the capture scripts for this kernel' },
      DCACHE_PAR_LOOKUP: '0x10000000',
      notes: /^6\.1\./.test(read(join(G, 'uname-r')).trim()) ? [
        'lookup_slow is inlined into walk_component: __lookup_slow is probed; the parent lock is taken in walk_component before __lookup_slow and released after it returns',
        'd_wait_lookup and __d_lookup_done are not symbols in 6.1; __d_lookup_unhash_wake is',
        'dr_ret/dw_ret carry no sem and are filtered by comm: tie each to the preceding dr/dw of the same pid',
      ] : [
        'functions.present/absent and probeSet.absent tell which probed functions this kernel has',
        'return probes of the lock functions carry no sem and are filtered by comm: tie each to the preceding entry of the same pid',
      ],
    },
    offsets: { ...offsets, i_rwsemHex: '0x' + offsets['inode.i_rwsem'].toString(16) },
    probes: name === 'graph' ? null : { definitions: accepted, rejected, absent, absentVariants, noOffset, filters: lines(join(src, 'filters.txt')) },
    probeSet: name === 'graph' ? null : { name: args.probeset ?? 'legacy', file: args['probes-file'] ?? 'probes.txt', referenceFunctionsPresent: refFunctionsPresent,
      note: 'absent: lines skipped because their function is not in available_filter_functions (inlined, or a lockdep-only variant that is a macro without CONFIG_DEBUG_LOCK_ALLOC); rejected: lines the kernel refused; noOffset: lines left out for want of a struct offset' },
    tracepoints: name === 'wild' || name === 'syscalls' || name === 'layered' || name === 'netfs' || name === 'ninep' ? ['raw_syscalls/sys_exit (every task)', 'sched/sched_process_exit'] : name === 'ordinary' ? ['raw_syscalls/sys_exit (the programs by comm, see probes.filters)', 'sched/sched_process_exit'] : ['raw_syscalls/sys_exit (comm == "lkwork")', 'sched/sched_process_exit'],
    graph: name === 'graph' ? { setGraphFunction: lines(join(src, 'set_graph_function')), setFtraceFilter: lines(join(src, 'set_ftrace_filter')), options: ['funcgraph-proc', 'funcgraph-abstime'] } : undefined,
    trackedLocks: tracked,
    functions,
    buffer: { sizeKbPerCpu: Number(read(join(src, 'buffer_size_kb')).trim()) || null, clock: (/\[(\w+)\]/.exec(read(join(src, 'trace_clock'))) ?? [])[1] ?? null },
    perCpu,
    // per probe: hits and misses; a kretprobe misses returns when more tasks are inside its
    // function than it has instances (kinv puts back those of the spec's leaf functions)
    kprobeProfile: existsSync(join(src, 'kprobe_profile'))
      ? Object.fromEntries(lines(join(src, 'kprobe_profile')).map((l) => l.trim().split(/\s+/)).map(([n, hits, missed]) => [n, { hits: Number(hits), missed: Number(missed) }]))
      : null,
    overrunTotal: perCpu.reduce((n, c) => n + (c.overrun ?? 0), 0),
    droppedTotal: perCpu.reduce((n, c) => n + (c.droppedEvents ?? 0), 0),
    workload: wl,
    // --workload-params: the core parameters set just before the workload (uptime, name=value read
    // back), and the kernel report on which the guest stopped tracing and saved the trace, if any
    workloadParams: existsSync(join(src, 'workload-params.txt')) ? lines(join(src, 'workload-params.txt')) : undefined,
    savedOnReport: existsSync(join(src, 'saved-on-report.txt')) ? read(join(src, 'saved-on-report.txt')).trim() : undefined,
    counts,
    wall: {
      phaseSeconds: Number.isFinite(t1 - t0) ? Math.round((t1 - t0) * 10) / 10 : null,
      bootSeconds: Number(args['boot-seconds']),
      captureSeconds: Number(args['wall-seconds']),
      note: 'captureSeconds: the whole npm run capture (tools, kernel, images, accelerator probe, boot with every phase); bootSeconds: the capture boot; phaseSeconds: this capture inside the guest',
    },
    accel: { used: args.accel, cpu: args.cpu, notes: args['accel-notes'] || undefined, qemu },
    guestStatus: args['guest-status'] || 'ok',
    dmesg: '../dmesg.txt',
    dmesgProblems,
    date: new Date().toISOString(),
  };
  writeFileSync(join(dst, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
  for (const f of ['kprobe_events', 'functions', 'workload.log', 'mounts.txt', 'setup.txt', 'host-changes.log']) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dst, f));
  // The per-CPU ring-buffer statistics as the kernel printed them, one block per CPU.
  writeFileSync(join(dst, 'stats'), readdirSync(src).filter((f) => /^stats\.cpu\d+$/.test(f)).sort()
    .map((f) => `# per_cpu/${f.slice(6)}/stats\n${read(join(src, f))}`).join(''), 'latin1');
  summary.push({ capture: name, file: spec.file, bytes: text.length, events: counts.events, overrun: meta.overrunTotal, dropped: meta.droppedTotal, phaseSeconds: meta.wall.phaseSeconds,
    d_add_ci: name === 'graph' ? counts.entries.d_add_ci ?? counts.leaves.d_add_ci ?? 0 : counts.byName.daddci ?? 0 });
}
copyFileSync(join(G, 'dmesg.txt'), join(OUT, 'dmesg.txt'));
if (dmesgProblems.length > 0) {
  console.log(`    WARNING: the kernel reported trouble during the run (recorded as dmesgProblems in metadata.json):`);
  for (const l of dmesgProblems.slice(0, 6)) console.log(`      ${l}`);
}
// The main capture (reference probe set, trace file) also at the top of OUT: trace, stats, dmesg,
// metadata.json, and the streamed trace_pipe of the same workload when that phase ran.
const main = existsSync(join(OUT, 'kprobe-trace')) ? 'kprobe-trace' : existsSync(join(OUT, 'collision')) ? 'collision' : null;
if (main) {
  copyFileSync(join(OUT, main, 'trace.txt'), join(OUT, 'trace'));
  copyFileSync(join(OUT, main, 'stats'), join(OUT, 'stats'));
  copyFileSync(join(G, 'dmesg.txt'), join(OUT, 'dmesg'));
  const m = JSON.parse(readFileSync(join(OUT, main, 'metadata.json'), 'utf8'));
  writeFileSync(join(OUT, 'metadata.json'), JSON.stringify({ ...m, file: 'trace', stats: 'stats', dmesg: 'dmesg',
    tracePipe: existsSync(join(OUT, 'kprobe-pipe')) ? 'trace_pipe (same workload in a second cold run, streamed; see kprobe-pipe/metadata.json)' : undefined }, null, 2) + '\n');
}
if (existsSync(join(OUT, 'kprobe-pipe', 'trace_pipe.txt'))) copyFileSync(join(OUT, 'kprobe-pipe', 'trace_pipe.txt'), join(OUT, 'trace_pipe'));
writeFileSync(join(OUT, 'summary.json'), JSON.stringify({ guestLog, captures: summary }, null, 2) + '\n');
for (const s of summary) {
  const events = typeof s.events === 'object' ? Object.values(s.events).reduce((a, b) => a + b, 0) : s.events;
  console.log(`    ${s.capture.padEnd(13)} ${s.file.padEnd(15)} ${String(s.bytes).padStart(10)} bytes  ${String(events).padStart(7)} events  d_add_ci ${String(s.d_add_ci).padStart(5)}  overrun ${s.overrun}  dropped ${s.dropped}  ${s.phaseSeconds}s`);
}
