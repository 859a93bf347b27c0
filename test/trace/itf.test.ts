/**
 * The ITF reader: events from a state variable `event` or from Quint's action taken, and a
 * located diagnostic (file:line:column) for every input it cannot read, never a silent skip.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { emptyStats, type TraceItem } from '../../src/trace/event.js';
import { readItf, stateStarts } from '../../src/trace/itf.js';

async function read(text: string): Promise<{ items: TraceItem[]; diags: string[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const items: TraceItem[] = [];
  for await (const b of readItf([text], { file: 't.itf.json', onDiagnostic: (d) => diagnostics.push(d), stats: emptyStats() })) items.push(...b);
  return { items, diagnostics, diags: diagnostics.map((d) => `${d.code} ${d.at?.line}:${d.at?.column} ${d.message}`) };
}

const INIT = '{"#meta":{"index":0},"event":{"pid":{"#bigint":"0"},"ev":"init","fn":"","args":{},"ret":""}}';

describe('readItf', () => {
  it('reads events from the state variable event: records or maps as args, bigints, an empty fn or ret absent', async () => {
    const text = `{"vars":["event"],"states":[\n${INIT},\n`
      + '{"#meta":{"index":1},"event":{"pid":{"#bigint":"7"},"ev":"acq","fn":"","args":{"#map":[["lock","I1"],["mode","W"]]},"ret":""}},\n'
      + '{"#meta":{"index":2},"event":{"pid":{"#bigint":"7"},"ev":"ret","fn":"d_alloc_parallel","args":{"outcome":"N"},"ret":{"tag":"Some","value":"D1"}}}\n]}';
    const { items, diags } = await read(text);
    expect(diags).toEqual([]);
    expect(items).toEqual([
      { seq: 0, pid: 7, ev: 'acq', args: { lock: 'I1', mode: 'W' }, file: 't.itf.json', line: 3 },
      { seq: 1, pid: 7, ev: 'ret', fn: 'd_alloc_parallel', args: { outcome: 'N' }, ret: 'D1', file: 't.itf.json', line: 4 },
    ]);
  });

  it("reads Quint's action taken and nondet picks when there is no event variable", async () => {
    const text = '{"vars":[],"states":[{"mbt::actionTaken":"init","mbt::nondetPicks":{}},'
      + '{"mbt::actionTaken":"call_d_alloc_parallel","mbt::nondetPicks":{"pid":{"tag":"Some","value":{"#bigint":"3"}},'
      + '"dir":{"tag":"Some","value":"I1"},"name":{"tag":"Some","value":"a"},"x":{"tag":"None","value":{"#tup":[]}}}},'
      + '{"mbt::actionTaken":"rel","mbt::nondetPicks":{"pid":{"tag":"Some","value":{"#bigint":"3"}},'
      + '"lock":{"tag":"Some","value":"I1"},"mode":{"tag":"Some","value":"R"}}}]}';
    const { items, diags } = await read(text);
    expect(diags).toEqual([]);
    expect(items).toEqual([
      { seq: 0, pid: 3, ev: 'call', fn: 'd_alloc_parallel', args: { dir: 'I1', name: 'a' }, file: 't.itf.json', line: 1 },
      { seq: 1, pid: 3, ev: 'rel', args: { lock: 'I1', mode: 'R' }, file: 't.itf.json', line: 1 },
    ]);
  });

  it('reads a return whose ret is empty or None as the NULL it returned (null), not as a value left out', async () => {
    const text = `{"vars":["event"],"states":[\n${INIT},\n`
      + '{"#meta":{"index":1},"event":{"pid":{"#bigint":"7"},"ev":"ret","fn":"d_splice_alias","args":{},"ret":""}},\n'
      + '{"#meta":{"index":2},"event":{"pid":{"#bigint":"7"},"ev":"call","fn":"d_splice_alias","args":{"dentry":"D1"},"ret":""}}\n]}';
    const { items, diags } = await read(text);
    expect(diags).toEqual([]);
    expect(items).toEqual([
      { seq: 0, pid: 7, ev: 'ret', fn: 'd_splice_alias', args: {}, ret: null, file: 't.itf.json', line: 3 },
      { seq: 1, pid: 7, ev: 'call', fn: 'd_splice_alias', args: { dentry: 'D1' }, file: 't.itf.json', line: 4 },
    ]);
    const picked = '{"vars":[],"states":[{"mbt::actionTaken":"init","mbt::nondetPicks":{}},'
      + '{"mbt::actionTaken":"ret_d_alloc","mbt::nondetPicks":{"pid":{"tag":"Some","value":{"#bigint":"3"}},"ret":{"tag":"None","value":{"#tup":[]}}}}]}';
    expect((await read(picked)).items).toEqual([{ seq: 0, pid: 3, ev: 'ret', fn: 'd_alloc', args: {}, ret: null, file: 't.itf.json', line: 1 }]);
  });

  it('locates malformed JSON by line and column', async () => {
    const { items, diags } = await read('{"vars":[],\n "states": [,]}');
    expect(items).toEqual([]);
    expect(diags).toEqual(['KV318 2:13 not valid JSON: unexpected ",]}"']);
    expect((await read('{"states":[{"a":1}')).diags).toEqual(['KV318 1:19 not valid JSON: the text ends too soon']);
  });

  it('says what is missing from JSON that is not an ITF trace', async () => {
    expect((await read('{"pid":1,"ev":"acq"}')).diags).toEqual(["KV318 1:1 not an ITF trace: expected an object with a 'states' array"]);
  });

  it('reports a state it cannot read at its line and makes its task unknown (a gap)', async () => {
    const text = `{"states":[\n${INIT},\n  {"event":{"pid":{"#bigint":"5"},"ev":"acq","fn":"","args":{"lock":{"#set":["I1"]}},"ret":""}},\n  {"nothing":1}\n]}`;
    const { items, diags } = await read(text);
    expect(diags).toEqual([
      "KV318 3:3 state 1: 'event.args.lock': a set is not an event field",
      "KV318 4:3 state 2: neither a state variable 'event' nor an action taken ('mbt::actionTaken')",
    ]);
    expect(items).toEqual([
      { kind: 'gap', reason: 'unreadable ITF state', pids: [5], seq: 0, file: 't.itf.json', line: 3 },
      { kind: 'gap', reason: 'unreadable ITF state', pids: undefined, seq: 1, file: 't.itf.json', line: 4 },
    ]);
  });

  it('finds where each state starts, past strings holding brackets', () => {
    expect(stateStarts('{"#meta":{"a":"[{"},"states":[\n {"x":"}]"},\n\t{}]}')).toEqual([{ line: 2, column: 2 }, { line: 3, column: 2 }]);
  });
});
