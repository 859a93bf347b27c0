/** d_splice_alias(inode, spliceDentry): hashes the name and ends the dentry's in-lookup state. */
import type { RoutineSteps } from '../task-step.js';

export const dSpliceAlias: RoutineSteps<'d_splice_alias'> = {
  call(x) {
    const { v, s } = x;
    const d = v.spliceDentry as string;
    x.call('d_splice_alias', { dentry: d, inode: v.spliceInode ?? null });
    s.hashed[v.spliceKey as string] = d;
    if (s.dentryKey[d] !== undefined) x.endInLookup(d);
    x.ret('d_splice_alias', null);
    x.leave();
  },
};
