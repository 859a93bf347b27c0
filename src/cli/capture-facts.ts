/**
 * `--probes` and `--functions` of `kinv check` and `kinv conform`: the capture's kprobe_events and
 * its kernel's function list (or kallsyms), read before any trace is.
 */
import { readFileSync } from 'node:fs';
import { FUNCTIONS_EVERY_KERNEL_HAS, parseFunctionList, parseProbeDefinitions, type ProbeDefinition } from '../trace/coverage.js';
import { parseKallsyms, type KernelSymbols } from '../trace/ftrace/sites.js';
import { UsageError } from './args.js';

/** `--probes` and `--functions`: what the capture probes and which functions its kernel has (a bad file is a usage error). */
export function readCaptureFacts(probeFiles: readonly string[], functionFiles: readonly string[]): CaptureFacts {
  const read = (option: string, f: string): string => {
    try { return readFileSync(f, 'latin1'); } catch (e) { throw new UsageError(`cannot read ${option} ${f}: ${(e as Error).message}`); }
  };
  let probes: ProbeDefinition[] | undefined;
  let kernelFunctions: Set<string> | undefined;
  let kernelSymbols: KernelSymbols | undefined;
  for (const f of probeFiles) {
    const parsed = parseProbeDefinitions(read('--probes', f));
    const p = parsed.problems[0];
    if (p !== undefined) {
      const shown = JSON.stringify(p.text.slice(0, 120));
      throw new UsageError(`${f}:${p.line}:1: not a kprobe_events definition (p:[GROUP/]NAME FUNCTION ARGS or r[N]:…): ${shown}`);
    }
    // (kprobe_events read after the probes were removed is empty: then it says nothing of the capture)
    if (parsed.probes.length === 0) {
      process.stderr.write(`kinv: warning: ${f} defines no probe, so it tells nothing of what the capture probes: kprobe_events lists`
        + ' the probes only while they are defined (read it before they are removed)\n');
    }
    (probes ??= []).push(...parsed.probes);
  }
  for (const f of functionFiles) {
    const text = read('--functions', f);
    const fns = parseFunctionList(text);
    if (fns.size === 0) throw new UsageError(`${f}:1:1: no function names (expected available_filter_functions or /proc/kallsyms)`);
    const lacking = FUNCTIONS_EVERY_KERNEL_HAS.filter((fn) => !fns.has(fn));
    if (lacking.length > 0) {
      process.stderr.write(`kinv: warning: ${f} lacks ${lacking.join(', ')}, which every kernel since 4.15 has:`
        + " it is not the kernel's whole function list, and those are taken as present\n");
    }
    kernelFunctions ??= new Set();
    for (const fn of fns) kernelFunctions.add(fn);
    // A kallsyms file also gives addresses, which name the bare-address probe sites of trace-cmd report and perf script.
    const syms = parseKallsyms(text);
    if (syms.kind === 'zeroed') {
      process.stderr.write(`kinv: warning: ${f} has only zero addresses (read without root): it names functions, not probe addresses\n`);
    }
    if (syms.kind === 'symbols') {
      if (kernelSymbols !== undefined) {
        throw new UsageError(`${f}:1:1: a second symbol table with addresses: give the /proc/kallsyms of the capture's boot once`);
      }
      kernelSymbols = syms.symbols;
    }
  }
  return { probes, kernelFunctions, kernelSymbols };
}

/** What the user told about the capture and its kernel. */
export interface CaptureFacts {
  probes: ProbeDefinition[] | undefined;
  kernelFunctions: Set<string> | undefined;
  kernelSymbols: KernelSymbols | undefined;
}
