/** d_splice_alias(inode, spliceDentry): hashes the name and ends the dentry's in-lookup state. */
import { defineRoutine } from '../routine-table.js';
import { setRecord } from '../state.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** d_splice_alias(inode, spliceDentry): ends the in-lookup state and hashes the name. */
    d_splice_alias: 'call';
  }
}

export const dSpliceAlias = defineRoutine('d_splice_alias', {
  call(x) {
    const { v, s } = x;
    const d = v.spliceDentry as string;
    x.call('d_splice_alias', { dentry: d, inode: v.spliceInode ?? null });
    setRecord(s, 'hashed', v.spliceKey as string, d);
    if (s.dentryKey[d] !== undefined) x.endInLookup(d);
    x.ret('d_splice_alias', null);
    x.leave();
  },
});
