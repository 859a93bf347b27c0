/**
 * `kinv probes [--btf FILE] [--set ref|full] [--dir DIR]... [--comm NAME]...`: the reference probe
 * set for a kernel as a shell script, its struct offsets read from the kernel's BTF (checked
 * against pahole when pahole is installed). Exit 0; 2 on usage errors (an unreadable or non-BTF
 * file); 3 when the BTF lacks what the probes need or pahole reads other offsets.
 */
import { readFileSync } from 'node:fs';
import { BtfError, parseBtf } from '../../probes/btf.js';
import { paholeOffsets } from '../../probes/pahole.js';
import { fillTemplate, MEMBERS, offsetsFrom, renderScript, type Placeholder } from '../../probes/probe-set.js';
import { oneOf, parse, UsageError } from '../args.js';
import { COMMANDS } from '../options.js';

const DEFAULT_BTF = '/sys/kernel/btf/vmlinux';

export async function probes(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMANDS.probes.options);
  if (positionals.length > 0) throw new UsageError(`kinv probes takes no file names (got ${positionals.join(' ')}): give the BTF with --btf FILE`);
  const file = (values.btf as string | undefined) ?? DEFAULT_BTF;
  const set = oneOf('set', values.set as string | undefined, ['ref', 'full'] as const, 'ref');
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
  const template = readFileSync(new URL(`../../../scripts/capture/${set === 'full' ? 'probes-full' : 'probes'}.txt`, import.meta.url), 'utf8');
  const { lines, dropped } = fillTemplate(template, offsets);
  process.stdout.write(renderScript({
    btfSource: file, setName: set === 'full' ? 'full' : 'reference', offsets, lines, dropped, crossCheck,
    dirs: (values.dir as string[] | undefined) ?? [], comms: (values.comm as string[] | undefined) ?? [],
  }));
  return 0;
}
