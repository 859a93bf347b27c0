/**
 * `kinv probes [--btf FILE] [--set ref|full] [--dir DIR]... [--comm NAME]...`: the reference probe
 * set for a kernel as a shell script, its struct offsets read from the kernel's BTF (checked
 * against pahole when pahole is installed). Exit 0; 2 on usage errors (an unreadable or non-BTF
 * file); 3 when the BTF lacks what the probes need or pahole reads other offsets.
 */
import { readFileSync } from 'node:fs';
import { BtfError, parseBtf, type Btf } from '../../probes/btf.js';
import { paholeOffsets } from '../../probes/pahole.js';
import { archOf, ARCHES, fillTemplate, MEMBERS, offsetsFrom, renderScript, type Arch, type Placeholder } from '../../probes/probe-set.js';
import { oneOf, parse, UsageError } from '../args.js';
import { COMMANDS } from '../options.js';

const DEFAULT_BTF = '/sys/kernel/btf/vmlinux';

export async function probes(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMANDS.probes.options);
  if (positionals.length > 0) throw new UsageError(`kinv probes takes no file names (got ${positionals.join(' ')}): give the BTF with --btf FILE`);
  const file = (values.btf as string | undefined) ?? DEFAULT_BTF;
  const set = oneOf('set', values.set as string | undefined, ['ref', 'full'] as const, 'ref');
  const comms = taskNames((values.comm as string[] | undefined) ?? []);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const noBtf = file === DEFAULT_BTF ? ' (a kernel without CONFIG_DEBUG_INFO_BTF: give --btf FILE)' : '';
    throw new UsageError(`cannot read --btf ${file}: ${code === 'ENOENT' ? 'no such file' + noBtf : (e as Error).message}`);
  }
  let btf;
  try {
    btf = parseBtf(bytes);
  } catch (e) {
    if (e instanceof BtfError) {
      const give = 'give /sys/kernel/btf/vmlinux or a .BTF section: objcopy -O binary --only-section=.BTF vmlinux btf';
      throw new UsageError(`${file}:1:1: not BTF: ${e.message} (${give})`);
    }
    throw e;
  }
  const { offsets, missing } = offsetsFrom(btf);
  if (missing.length > 0) {
    const what = missing.map((k) => `struct ${MEMBERS[k][0]}.${MEMBERS[k][1]}`).join(', ');
    process.stderr.write(`kinv: ${file} has no ${what} (${btf.size} types): is it a module's split BTF? give the vmlinux BTF\n`);
    return 3;
  }
  const pahole = paholeOffsets(file);
  let crossCheck: string;
  if ('unavailable' in pahole) crossCheck = `not checked with pahole: ${pahole.unavailable}`;
  else {
    const differ = (Object.keys(offsets) as Placeholder[]).filter((k) => pahole.offsets[k] !== offsets[k]);
    if (differ.length > 0) {
      for (const k of differ) {
        process.stderr.write(`kinv: ${MEMBERS[k][0]}.${MEMBERS[k][1]}: ${offsets[k]} read from the BTF, ${pahole.offsets[k] ?? 'none'} by pahole\n`);
      }
      process.stderr.write('kinv: the offsets are in doubt: no probe set printed\n');
      return 3;
    }
    crossCheck = `pahole reads the same ${Object.keys(offsets).length} offsets`;
  }
  const { arch, archNote } = registersFor(btf, values.arch as string | undefined, file === DEFAULT_BTF);
  const template = readFileSync(new URL(`../../../scripts/capture/${set === 'full' ? 'probes-full' : 'probes'}.txt`, import.meta.url), 'utf8');
  const { lines, dropped } = fillTemplate(template, offsets, arch);
  process.stdout.write(renderScript({
    btfSource: file, setName: set === 'full' ? 'full' : 'reference', offsets, lines, dropped, crossCheck, archNote,
    dirs: (values.dir as string[] | undefined) ?? [], comms,
  }));
  return 0;
}

/** The longest task name the kernel keeps: TASK_COMM_LEN (16) less the terminating NUL. */
const COMM_BYTES = 15;

/**
 * The `--comm` names, each one a task can have: the kernel cuts a task's name to 15 bytes, and an
 * ftrace filter `comm == "NAME"` with a longer NAME matches no task, so every lock return and
 * syscall exit of the run would be filtered out without a word. A quote or backslash would end the
 * filter's string early.
 */
function taskNames(comms: string[]): string[] {
  for (const c of comms) {
    if (c === '') throw new UsageError('--comm expects a task name, got an empty one');
    if (/["\\\n]/.test(c)) throw new UsageError(`--comm ${JSON.stringify(c)}: a task name for an ftrace filter cannot hold a quote, a backslash or a newline`);
    const bytes = Buffer.from(c, 'utf8');
    if (bytes.length > COMM_BYTES) {
      const cut = bytes.subarray(0, COMM_BYTES).toString('utf8');
      // A cut inside a character leaves the kernel's name a byte no filter string here can spell.
      const give = cut.endsWith('\uFFFD') ? 'its first 15 bytes end inside a character: give the program a shorter name' : `give --comm ${cut}`;
      const kept = `the kernel keeps a task's name to its first ${COMM_BYTES} (TASK_COMM_LEN 16), so no task is named that`;
      throw new UsageError(`--comm ${c}: ${bytes.length} bytes, and ${kept}: ${give}`);
    }
  }
  return comms;
}

/** This machine's architecture as the probe set names it (Node's `process.arch`). */
const NODE_ARCH: Record<string, Arch | undefined> = { x64: 'x86_64', arm64: 'arm64', riscv64: 'riscv64' };

/**
 * Whose registers the probe lines name: the architecture the BTF's `struct pt_regs` shows, which
 * `--arch` may only confirm; else `--arch`; else, for the running kernel's BTF, this machine's;
 * else x86_64, said to be assumed.
 */
function registersFor(btf: Btf, asked: string | undefined, running: boolean): { arch: Arch; archNote: string | undefined } {
  const names = Object.keys(ARCHES) as Arch[];
  const wanted = asked === undefined ? undefined : oneOf('arch', asked, names as [Arch, ...Arch[]], 'x86_64');
  const told = archOf(btf);
  if (told !== undefined) {
    if (wanted !== undefined && wanted !== told) throw new UsageError(`--arch ${wanted}, but the BTF's struct pt_regs is ${told}'s`);
    return { arch: told, archNote: told === 'x86_64' ? undefined : `registers: ${told} (the BTF's struct pt_regs)` };
  }
  if (wanted !== undefined) return { arch: wanted, archNote: `registers: ${wanted} (--arch; the BTF has no struct pt_regs)` };
  const here = running ? NODE_ARCH[process.arch] : undefined;
  if (here !== undefined) return { arch: here, archNote: `registers: ${here} (this machine's; the BTF has no struct pt_regs)` };
  return { arch: 'x86_64', archNote: 'registers: x86_64, assumed (the BTF has no struct pt_regs to tell; --arch x86_64|arm64|riscv64 to choose)' };
}
