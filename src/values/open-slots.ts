/**
 * The slot arrays of an open-addressing table (linear probing, a power-of-two size): for each
 * slot, where its entry is held (0 = empty), the entry's hash and its number. Exploration's
 * visited set (src/sim/key-set.ts) and a monitor's digest parts (src/checker/part-table.ts) keep
 * their entries this way.
 */
export interface OpenSlots {
  slots: Int32Array<ArrayBuffer>;
  hashes: Int32Array<ArrayBuffer>;
  ids: Int32Array<ArrayBuffer>;
}

/** The same entries in twice as many slots. */
export function doubled(t: OpenSlots): OpenSlots {
  const slots = new Int32Array(t.slots.length * 2);
  const hashes = new Int32Array(slots.length);
  const ids = new Int32Array(slots.length);
  const mask = slots.length - 1;
  for (let j = 0; j < t.slots.length; j++) {
    const at = t.slots[j]!;
    if (at === 0) continue;
    const h = t.hashes[j]!;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = at;
    hashes[i] = h;
    ids[i] = t.ids[j]!;
  }
  return { slots, hashes, ids };
}
