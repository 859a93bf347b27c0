#!/usr/bin/env node
// Ground truth of a kprobe capture's directory-lock records, computed without kinv: per tracked
// lock and per task, the entries and returns (success or failure) of each acquisition function,
// the releases, and the releases with no visible acquisition earlier in the same task.
//
//   node scripts/capture/count-locks.mjs CAPTURE_DIR [--json | --readme README]
//   node scripts/capture/count-locks.mjs --summary traces/kernel-programs   (the folder's summary table)
//
// CAPTURE_DIR holds trace.gz (or trace.txt) and metadata.json (trackedLocks). A record is
// recognised by the function it probes, read from its probe site: "(sym+0x0/0x70)" for an entry,
// "(site <- sym)" for a return; never by the event name.
//
// Rules (stated so that the figures can be checked by hand):
// - Only entries whose sem is a tracked lock count. A return of an acquisition function belongs to
//   the entry before it only when it is the very next record of the same pid (no probe fires
//   inside the rwsem functions); any other return of those functions (another lock of the same
//   task, e.g. mmap_lock, which the comm filter lets through) is ignored. An entry whose task's
//   next record is not its return has a missing return ("noReturn", e.g. a kretprobe miss).
// - Success: down_read, down_write and the void *_nested / _non_owner / _nest_lock variants always
//   succeed; *_killable and *_interruptible succeed when ret == 0; *_trylock when ret == 1. An
//   acquisition with a missing return is taken as held (it is on a tracked lock and the task went on).
// - Per (pid, lock) a held count per mode: a successful read acquisition adds a reader, up_read
//   (and up_read_non_owner) removes one; write likewise with up_write; downgrade_write turns a
//   writer into a reader. A release with no held count of its mode is a release "without visible
//   acquisition"; it is attributed to the task's next syscall exit (its NR), which tells which
//   system call released the lock (217 = getdents64: readdir).
import { readFileSync, existsSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const ACQUIRE = {
  down_read: { mode: 'read', ok: 'void' },
  down_read_killable: { mode: 'read', ok: 'zero' },
  down_read_interruptible: { mode: 'read', ok: 'zero' },
  down_read_trylock: { mode: 'read', ok: 'one' },
  down_read_nested: { mode: 'read', ok: 'void' },
  down_read_killable_nested: { mode: 'read', ok: 'zero' },
  down_read_non_owner: { mode: 'read', ok: 'void' },
  down_write: { mode: 'write', ok: 'void' },
  down_write_killable: { mode: 'write', ok: 'zero' },
  down_write_trylock: { mode: 'write', ok: 'one' },
  down_write_nested: { mode: 'write', ok: 'void' },
  down_write_killable_nested: { mode: 'write', ok: 'zero' },
  _down_write_nest_lock: { mode: 'write', ok: 'void' },
};
export const RELEASE = { up_read: 'read', up_read_non_owner: 'read', up_write: 'write' };
export const DOWNGRADE = 'downgrade_write';

const SYSCALLS = {
  0: 'read', 1: 'write', 2: 'open', 3: 'close', 4: 'stat', 5: 'fstat', 6: 'lstat', 7: 'poll', 8: 'lseek', 9: 'mmap',
  10: 'mprotect', 11: 'munmap', 12: 'brk', 13: 'rt_sigaction', 14: 'rt_sigprocmask', 15: 'rt_sigreturn', 16: 'ioctl',
  17: 'pread64', 18: 'pwrite64', 19: 'readv', 20: 'writev', 21: 'access', 22: 'pipe', 32: 'dup', 33: 'dup2', 39: 'getpid',
  40: 'sendfile', 56: 'clone', 57: 'fork', 59: 'execve', 60: 'exit', 61: 'wait4', 62: 'kill', 63: 'uname', 72: 'fcntl',
  78: 'getdents', 79: 'getcwd', 80: 'chdir', 82: 'rename', 83: 'mkdir', 84: 'rmdir', 85: 'creat', 86: 'link', 87: 'unlink',
  89: 'readlink', 90: 'chmod', 92: 'chown', 95: 'umask', 102: 'getuid', 104: 'getgid', 107: 'geteuid', 108: 'getegid',
  110: 'getppid', 137: 'statfs', 138: 'fstatfs', 158: 'arch_prctl', 186: 'gettid', 217: 'getdents64', 218: 'set_tid_address',
  228: 'clock_gettime', 231: 'exit_group', 257: 'openat', 258: 'mkdirat', 260: 'fchownat', 262: 'newfstatat', 263: 'unlinkat',
  264: 'renameat', 265: 'linkat', 268: 'fchmodat', 269: 'faccessat', 280: 'utimensat', 293: 'pipe2', 302: 'prlimit64',
  316: 'renameat2', 332: 'statx', 334: 'rseq', 435: 'clone3', 439: 'faccessat2',
};
export const syscallName = (nr) => SYSCALLS[nr] ?? `NR ${nr}`;

// "<comm>-<pid> [cpu] flags ts: event: body" (an optional "(tgid)" column); comm may hold '-'.
const LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d{3})\]\s+(?:\S{4,7}\s+)?(\d+(?:\.\d+)?):\s+([\w.]+):\s?(.*)$/;

export function readTrace(dir) {
  const gz = join(dir, 'trace.gz');
  const buf = existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(join(dir, 'trace.txt'));
  return buf.toString('latin1');
}

export function countLocks(text, trackedLocks) {
  const tracked = new Map(trackedLocks.map((l) => [BigInt(l.sem), l]));
  const key = (sem) => '0x' + sem.toString(16);
  const locks = {};
  for (const l of trackedLocks) locks[key(BigInt(l.sem))] = { fs: l.fs, dir: l.dir, acquisitions: {}, releases: {}, downgrades: 0,
    releasesWithoutAcquisition: {}, releasesWithoutAcquisitionBySyscall: {}, heldAtEnd: { read: 0, write: 0 } };
  const tasks = {}; // pid -> { comm, locks: { sem: { acquisitions, releases, without } } }
  const pending = new Map(); // pid -> { fn, sem } awaiting its return as the pid's next record
  const held = new Map(); // `${pid} ${sem}` -> { read, write }
  const awaitingSyscall = new Map(); // pid -> [{ sem, fn }] releases without acquisition, to attribute
  const programs = {}; // comm -> { pids: Set, syscalls: { name: n } }
  const byFunction = {};
  let records = 0, unparsed = 0, ignoredReturns = 0;

  const task = (pid, comm) => (tasks[pid] ??= { comm, locks: {} });
  const taskLock = (pid, comm, sem) => (task(pid, comm).locks[sem] ??= { acquisitions: {}, releases: {}, releasesWithoutAcquisition: {} });
  const acq = (obj, fn) => (obj[fn] ??= { entries: 0, ok: 0, failed: 0, noReturn: 0 });
  const hold = (pid, sem) => { const k = `${pid} ${sem}`; let h = held.get(k); if (!h) held.set(k, (h = { read: 0, write: 0 })); return h; };
  const grant = (pid, comm, p, outcome) => {
    const L = locks[p.sem], T = taskLock(pid, comm, p.sem);
    acq(L.acquisitions, p.fn)[outcome]++; acq(T.acquisitions, p.fn)[outcome]++;
    if (outcome !== 'failed') hold(pid, p.sem)[ACQUIRE[p.fn].mode]++;
  };

  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) { unparsed++; continue; }
    records++;
    const [, comm, pidS, , , event, body] = m;
    const pid = Number(pidS);
    // the task's pending acquisition: resolved by this record if it is the return, else lost
    const p = pending.get(pid);
    let fn = null, isReturn = false;
    const site = /^\(([^)]*)\)/.exec(body);
    if (site) {
      const r = / <- ([\w.]+)$/.exec(site[1]);
      if (r) { fn = r[1]; isReturn = true; } else { const e = /^([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+$/.exec(site[1]); if (e) fn = e[1]; }
    }
    if (p) {
      pending.delete(pid);
      if (isReturn && fn === p.fn) {
        const ret = /\bret=(0x[0-9a-f]+|-?\d+)/.exec(body);
        const kind = ACQUIRE[fn].ok;
        let outcome = 'ok';
        if (kind !== 'void') {
          if (!ret) outcome = 'noReturn';
          else { const v = BigInt.asIntN(64, BigInt(ret[1])); outcome = (kind === 'zero' ? v === 0n : v === 1n) ? 'ok' : 'failed'; }
        }
        grant(pid, comm, p, outcome);
        byFunction[fn + ' (return)'] = (byFunction[fn + ' (return)'] ?? 0) + 1;
        continue;
      }
      grant(pid, comm, p, 'noReturn');
    }
    if (event === 'sys_exit') {
      const nr = /NR (-?\d+)/.exec(body);
      const name = nr ? syscallName(Number(nr[1])) : '?';
      const P = (programs[comm] ??= { pids: new Set(), syscalls: {} });
      P.pids.add(pid); P.syscalls[name] = (P.syscalls[name] ?? 0) + 1;
      const w = awaitingSyscall.get(pid);
      if (w) {
        for (const { sem, fn: rf } of w) { const b = locks[sem].releasesWithoutAcquisitionBySyscall; const k = `${rf} in ${name}`; b[k] = (b[k] ?? 0) + 1; }
        awaitingSyscall.delete(pid);
      }
      continue;
    }
    if (!fn) continue;
    if (isReturn) { if (ACQUIRE[fn]) ignoredReturns++; continue; }
    const semM = /\bsem=(0x[0-9a-f]+)/.exec(body);
    if (!semM) continue;
    const semV = BigInt(semM[1]);
    if (!tracked.has(semV)) continue;
    const sem = key(semV);
    byFunction[fn] = (byFunction[fn] ?? 0) + 1;
    if (ACQUIRE[fn]) {
      acq(locks[sem].acquisitions, fn).entries++; acq(taskLock(pid, comm, sem).acquisitions, fn).entries++;
      pending.set(pid, { fn, sem });
    } else if (RELEASE[fn] || fn === DOWNGRADE) {
      const mode = fn === DOWNGRADE ? 'write' : RELEASE[fn];
      const h = hold(pid, sem);
      const T = taskLock(pid, comm, sem);
      if (fn === DOWNGRADE) locks[sem].downgrades++;
      else { locks[sem].releases[fn] = (locks[sem].releases[fn] ?? 0) + 1; T.releases[fn] = (T.releases[fn] ?? 0) + 1; }
      if (h[mode] > 0) h[mode]--;
      else {
        locks[sem].releasesWithoutAcquisition[fn] = (locks[sem].releasesWithoutAcquisition[fn] ?? 0) + 1;
        T.releasesWithoutAcquisition[fn] = (T.releasesWithoutAcquisition[fn] ?? 0) + 1;
        const w = awaitingSyscall.get(pid) ?? []; w.push({ sem, fn }); awaitingSyscall.set(pid, w);
      }
      if (fn === DOWNGRADE) h.read++;
    }
  }
  for (const [pid, p] of pending) grant(pid, tasks[pid]?.comm ?? '?', p, 'noReturn');
  for (const [k, h] of held) { const sem = k.split(' ')[1]; locks[sem].heldAtEnd.read += h.read; locks[sem].heldAtEnd.write += h.write; }

  const totals = { acquisitions: {}, releases: {}, downgrades: 0, releasesWithoutAcquisition: {}, releasesWithoutAcquisitionBySyscall: {}, heldAtEnd: { read: 0, write: 0 } };
  const add = (dst, src) => { for (const [k, v] of Object.entries(src)) dst[k] = (dst[k] ?? 0) + v; };
  for (const L of Object.values(locks)) {
    for (const [fn, a] of Object.entries(L.acquisitions)) { const t = (totals.acquisitions[fn] ??= { entries: 0, ok: 0, failed: 0, noReturn: 0 }); for (const k of Object.keys(t)) t[k] += a[k]; }
    add(totals.releases, L.releases); add(totals.releasesWithoutAcquisition, L.releasesWithoutAcquisition);
    add(totals.releasesWithoutAcquisitionBySyscall, L.releasesWithoutAcquisitionBySyscall);
    totals.downgrades += L.downgrades; totals.heldAtEnd.read += L.heldAtEnd.read; totals.heldAtEnd.write += L.heldAtEnd.write;
  }
  const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const L of Object.values(locks)) { L.acquisitions = sorted(L.acquisitions); L.releases = sorted(L.releases); }
  totals.acquisitions = sorted(totals.acquisitions); totals.releases = sorted(totals.releases);
  const perTask = Object.entries(tasks).filter(([, t]) => Object.keys(t.locks).length > 0)
    .map(([pid, t]) => ({ pid: Number(pid), comm: t.comm, locks: t.locks })).sort((a, b) => a.pid - b.pid);
  return {
    records, unparsedLines: unparsed, ignoredReturns,
    totals, locks,
    programs: sorted(Object.fromEntries(Object.entries(programs).map(([c, P]) => [c, { tasks: P.pids.size, syscalls: sorted(P.syscalls) }]))),
    perTask,
  };
}

// The "Figures" block of a bundled capture's README.md, from its metadata.json and counts.json.
export const BEGIN = '<!-- figures:begin (generated by scripts/capture/count-locks.mjs --readme; test/kernel/programs.test.ts recomputes it) -->';
export const END = '<!-- figures:end -->';
export function renderFigures(meta, c) {
  const L = [];
  L.push(`- kernel \`${meta.kernel.release}\` (${meta.kernel.build}), probe set **${meta.probeSet?.name ?? 'legacy'}** (\`${meta.probeSet?.file ?? 'probes.txt'}\`), clock \`${meta.buffer.clock}\`, ${meta.perCpu.length} CPUs, overrun ${meta.overrunTotal}, dropped ${meta.droppedTotal}`);
  L.push(`- ${c.records} records; probes installed ${meta.probes.definitions.length}, absent from \`available_filter_functions\` ${meta.probes.absent.length}${meta.probes.absent.length ? ` (${[...new Set(meta.probes.absent.map((l) => l.split(/\s+/)[1]))].map((f) => `\`${f}\``).join(', ')})` : ''}, rejected by the kernel ${meta.probes.rejected.length}${meta.probes.rejected.length ? ` (${meta.probes.rejected.map((l) => `\`${l}\``).join(', ')})` : ''}`);
  L.push(`- kretprobe misses (\`kprobe_profile\`, all tasks and locks): ${Object.entries(meta.kprobeProfile ?? {}).filter(([, v]) => v.missed > 0).map(([k, v]) => `${k} ${v.missed}`).join(', ') || 'none'}`);
  L.push(`- kernel problems in dmesg (Oops, BUG, WARNING, lockups, hung tasks): ${meta.dmesgProblems.length === 0 ? 'none' : meta.dmesgProblems.length + ' lines: ' + meta.dmesgProblems.slice(0, 3).map((l) => `\`${l.trim()}\``).join('; ')}`);
  L.push('');
  L.push(`Acquisitions of the ${Object.keys(c.locks).length} tracked directory locks (all tasks):`);
  L.push('');
  L.push('| function | entries | succeeded | failed | return not in the log |');
  L.push('|---|---:|---:|---:|---:|');
  for (const [fn, a] of Object.entries(c.totals.acquisitions)) L.push(`| \`${fn}\` | ${a.entries} | ${a.ok} | ${a.failed} | ${a.noReturn} |`);
  L.push('');
  L.push(`Releases: ${Object.entries(c.totals.releases).map(([f, k]) => `\`${f}\` ${k}`).join(', ') || 'none'}; \`downgrade_write\` ${c.totals.downgrades}.`);
  const w = Object.values(c.totals.releasesWithoutAcquisition).reduce((a, b) => a + b, 0);
  L.push(`Releases with no visible acquisition earlier in the same task: **${w}**${w ? ` (${Object.entries(c.totals.releasesWithoutAcquisitionBySyscall).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}.`);
  L.push(`Held at the end of the log: read ${c.totals.heldAtEnd.read}, write ${c.totals.heldAtEnd.write}. Returns of the lock functions on other locks (ignored): ${c.ignoredReturns}.`);
  L.push('');
  L.push('| lock (`i_rwsem`) | directory | acquisitions (entries/ok/failed/no return) | releases | without acquisition |');
  L.push('|---|---|---|---|---:|');
  for (const [sem, x] of Object.entries(c.locks)) {
    const acqs = Object.entries(x.acquisitions).map(([f, a]) => `${f} ${a.entries}/${a.ok}/${a.failed}/${a.noReturn}`).join(', ') || '—';
    const rel = Object.entries(x.releases).map(([f, k]) => `${f} ${k}`).join(', ') || '—';
    L.push(`| \`${sem}\` | \`${x.dir}\` | ${acqs} | ${rel}${x.downgrades ? `, downgrade_write ${x.downgrades}` : ''} | ${Object.values(x.releasesWithoutAcquisition).reduce((a, b) => a + b, 0)} |`);
  }
  L.push('');
  L.push(`Programs (from \`sys_exit\`, by comm): ${Object.entries(c.programs).map(([comm, P]) => `${comm} (${P.tasks} tasks, ${Object.values(P.syscalls).reduce((a, b) => a + b, 0)} syscalls)`).join(', ')}.`);
  const per = Object.entries(c.perTask.reduce((o, t) => { o[t.comm] = (o[t.comm] ?? 0) + 1; return o; }, {})).map(([k, v]) => `${k} ${v}`).join(', ');
  L.push(`Tasks with records on a tracked lock, by comm: ${per} (per task: \`counts.json\` perTask).`);
  return [BEGIN, ...L, END].join('\n');
}
// One row per bundled capture for traces/kernel-programs/README.md: [name, meta, counts, trace.gz bytes]
export const SUMMARY_BEGIN = '<!-- summary:begin (generated by scripts/capture/count-locks.mjs --summary; test/kernel/programs.test.ts recomputes it) -->';
export const SUMMARY_END = '<!-- summary:end -->';
export function renderSummary(rows) {
  const L = ['| folder | kernel | probe set | records | trace.gz bytes | acquisitions of tracked locks (entries) | releases | releases without visible acquisition | dmesg problems |', '|---|---|---|---:|---:|---|---|---:|---:|'];
  for (const [name, meta, c, bytes] of rows) {
    const acq = Object.entries(c.totals.acquisitions).map(([f, a]) => `${f} ${a.entries}`).join(', ');
    const rel = Object.entries(c.totals.releases).map(([f, k]) => `${f} ${k}`).join(', ');
    const w = Object.values(c.totals.releasesWithoutAcquisition).reduce((a, b) => a + b, 0);
    L.push(`| \`${name}/\` | ${meta.kernel.release} | ${meta.probeSet?.name ?? 'legacy'} | ${c.records} | ${bytes} | ${acq} | ${rel} | ${w} | ${meta.dmesgProblems.length} |`);
  }
  return [SUMMARY_BEGIN, ...L, SUMMARY_END].join('\n');
}
export function withSummary(readme, summary) {
  const i = readme.indexOf(SUMMARY_BEGIN.slice(0, 20)), j = readme.indexOf(SUMMARY_END);
  if (i >= 0 && j > i) return readme.slice(0, i) + summary + readme.slice(j + SUMMARY_END.length);
  return readme + (readme.endsWith('\n') ? '' : '\n') + '\n' + summary + '\n';
}
export function summaryRows(root) {
  return readdirSync(root).filter((d) => existsSync(join(root, d, 'metadata.json'))).sort().map((d) => {
    const meta = JSON.parse(readFileSync(join(root, d, 'metadata.json'), 'utf8'));
    return [d, meta, JSON.parse(readFileSync(join(root, d, 'counts.json'), 'utf8')), statSync(join(root, d, 'trace.gz')).size];
  });
}

export function withFigures(readme, figures) {
  const i = readme.indexOf(BEGIN.slice(0, 20)), j = readme.indexOf(END);
  if (i >= 0 && j > i) return readme.slice(0, i) + figures + readme.slice(j + END.length);
  return readme + (readme.endsWith('\n') || readme === '' ? '' : '\n') + '\n## Figures\n\n' + figures + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (process.argv[2] === '--summary') { // --summary ROOT: rewrite ROOT/README.md's summary table
    const root = process.argv[3];
    const path = join(root, 'README.md');
    writeFileSync(path, withSummary(readFileSync(path, 'utf8'), renderSummary(summaryRows(root))));
    process.exit(0);
  }
  if (!dir) { console.error('usage: count-locks.mjs CAPTURE_DIR [--json]'); process.exit(2); }
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
  const c = countLocks(readTrace(dir), meta.trackedLocks);
  const ri = process.argv.indexOf('--readme');
  if (ri > 0) {
    const path = process.argv[ri + 1];
    const old = existsSync(path) ? readFileSync(path, 'utf8') : `# ${meta.kernel.release}, ordinary programs, ${meta.probeSet?.name ?? 'legacy'} probe set\n`;
    writeFileSync(path, withFigures(old, renderFigures(meta, c)));
    process.exit(0);
  }
  if (process.argv.includes('--json')) { console.log(JSON.stringify(c, null, 2)); process.exit(0); }
  console.log(`${c.records} records (${c.unparsedLines} lines not a record), ${c.ignoredReturns} returns of lock functions on untracked locks ignored`);
  console.log('acquisitions on tracked locks (entries / ok / failed / no return):');
  for (const [fn, a] of Object.entries(c.totals.acquisitions)) console.log(`  ${fn.padEnd(28)} ${a.entries} / ${a.ok} / ${a.failed} / ${a.noReturn}`);
  console.log('releases:', JSON.stringify(c.totals.releases), 'downgrades:', c.totals.downgrades);
  console.log('releases without visible acquisition:', JSON.stringify(c.totals.releasesWithoutAcquisition), JSON.stringify(c.totals.releasesWithoutAcquisitionBySyscall));
  console.log('held at end:', JSON.stringify(c.totals.heldAtEnd));
  for (const [sem, L] of Object.entries(c.locks))
    console.log(`  ${sem} ${L.dir}: ${Object.entries(L.acquisitions).map(([f, a]) => `${f} ${a.entries}/${a.ok}/${a.failed}/${a.noReturn}`).join(', ')}; ${JSON.stringify(L.releases)}; without ${JSON.stringify(L.releasesWithoutAcquisition)}`);
}
