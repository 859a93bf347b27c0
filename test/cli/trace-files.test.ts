/** Which files a trace folder argument names, and the note about what it leaves out. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandTraces, skippedNote } from '../../src/cli/trace-files.js';

describe('expandTraces', () => {
  it('reads a folder one level deep and names its subfolders in the KV313 note', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinv-trace-files-'));
    mkdirSync(join(dir, 'runs'));
    writeFileSync(join(dir, 'a.ndjson'), '');
    writeFileSync(join(dir, 'runs', 'b.ndjson'), '');
    const t = expandTraces([dir]);
    expect(t.files).toEqual([join(dir, 'a.ndjson')]);
    expect(t.skipped).toEqual([{ dir, names: [], folders: ['runs'] }]);
    const note = skippedNote(t.skipped[0]!);
    expect(note.code).toBe('KV313');
    expect(note.message).toBe(`${dir}: 1 folder in it not read (runs/): only the files of a folder are checked`);
  });

  it('keeps the sidecar wording when there is no subfolder', () => {
    const note = skippedNote({ dir: 'd', names: ['expected.json'], folders: [] });
    expect(note.message).toBe('d: 1 file beside the traces not checked (expected.json)');
    expect(note.hint).toBe('name a file on the command line to check it anyway');
  });
});
