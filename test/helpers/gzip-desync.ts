import { gunzipSync } from 'node:zlib';

/**
 * The gzip member `member` with the last bit (by position, before its trailer) whose change zlib
 * reports as "unexpected end of file", as it reports a cut: the change put the decoder out of step,
 * and it decoded on through the trailer to the end. Throws when no bit does so.
 */
export function desynchronisingChange(member: Buffer): Buffer {
  for (let at = member.length - 9; at > 10; at--) {
    for (let bit = 0; bit < 8; bit++) {
      const changed = Buffer.from(member);
      changed[at]! ^= 1 << bit;
      try {
        gunzipSync(changed);
      } catch (e) {
        if ((e as Error).message === 'unexpected end of file') return changed;
      }
    }
  }
  throw new Error('no single-bit change of this member desynchronises its decoder');
}
