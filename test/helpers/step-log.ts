/** A small ftrace text log built step by step, for tests of what the read ahead makes of a capture. */

/** The log as the one chunk a reader takes it in. */
export async function* chunks(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text, 'latin1');
}

/** A log of `steps` ([comm-pid, payload]), stamped 1, 2, …, after a four-line header: the first step is on line 5. */
export function stepLog(steps: [string, string][]): string {
  const n = steps.length;
  return `# tracer: nop\n#\n# entries-in-buffer/entries-written: ${n}/${n}   #P:2\n#\n`
    + steps.map(([task, payload], i) => `            ${task}     [000] .....  ${String(i + 1).padStart(11)}: ${payload}\n`).join('');
}
