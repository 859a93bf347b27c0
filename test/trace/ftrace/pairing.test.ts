/** Per-task call pairing: what the reader relies on when a kretprobe return is missing. */
import { describe, expect, it } from 'vitest';
import { CallPairing } from '../../../src/trace/ftrace/pairing.js';

describe('CallPairing.noteRecord', () => {
  it("hands back a leaf's open entry when the task's next record is not its return", () => {
    const p = new CallPairing(new Set(['down_read']));
    p.noteRecord(5, 0, undefined); p.probeEntry(5, 0, 'down_read');
    expect(p.noteRecord(5, 0, 'down_read')).toBeUndefined();   // its return
    p.probeReturn(5, 0, 'down_read');
    p.noteRecord(5, 0, undefined); p.probeEntry(5, 0, 'down_read');
    expect(p.noteRecord(5, 0, undefined)).toBe('down_read');   // something else: the return was missed
    expect(p.returnsMissed).toBe(1);
  });

  it('leaves functions that are not named as leaves open', () => {
    const p = new CallPairing(new Set(['down_read']));
    p.noteRecord(5, 0, undefined); p.probeEntry(5, 0, 'd_add_ci');
    expect(p.noteRecord(5, 0, undefined)).toBeUndefined();
  });

  it('keeps record positions when a CPU\'s unknown-task stack is handed to the task a => marker names', () => {
    const p = new CallPairing(new Set(['down_read']));
    p.noteRecord(5, 1, undefined); p.noteRecord(5, 1, undefined);   // task 5's earlier records
    p.noteRecord(-1, 0, undefined); p.probeEntry(-1, 0, 'down_read'); // CPU 0, task not known yet
    p.onSwitch(0, 5, 6);                                              // it was task 5
    expect(p.noteRecord(5, 0, undefined)).toBe('down_read');
  });
});
