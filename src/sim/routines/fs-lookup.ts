/**
 * The filesystem's ->lookup (xfs_vn_ci_lookup on a case-insensitive directory, ext4_lookup
 * otherwise) on the dentry d_alloc_parallel left in lookup: a case-insensitive match of another
 * spelling goes through d_add_ci with the exact name; an exact match is d_splice_alias of the
 * inode. A miss is d_splice_alias of no inode on ext4 (a negative dentry is hashed), but on a
 * case-insensitive XFS xfs_vn_ci_lookup returns NULL without hashing anything (it keeps no
 * negative dentries), and so does ext4_lookup on a casefolded directory (`noNegative`): the
 * in-lookup state then ends at the caller's d_lookup_done.
 */
import type { Scalar } from '../../trace/event.js';
import { defineRoutine } from '../routine-table.js';
import { dcacheKey, onDisk } from '../task-step.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** The filesystem's ->lookup on a dentry in lookup: d_add_ci for a case-insensitive match, d_splice_alias otherwise. */
    fs_lookup: 'lookup' | 'after-splice' | 'after-dci';
  }
}

export const fsLookup = defineRoutine('fs_lookup', {
  lookup(x) {
    const { v } = x;
    // A failing ->lookup (a network filesystem's server error, an I/O error): it returns the error
    // with the dentry still in lookup; the caller's d_lookup_done ends that (done-lookup).
    if (x.sc.faults.lookupFail === true && x.ch.choose(2, 'lookup-fail') === 1) {
      x.ret('lookup', 'ERR:-2');
      v.result = 'ERR:-2';
      x.leave();
      return;
    }
    const exact = onDisk(x.sc, x.dir, v.name as string);
    if (exact !== undefined && exact !== v.name) {
      v.exact = exact;
      v.dciDentry = v.d1;
      v.dciInLookup = true;
      x.enter('d_add_ci:call', 'fs_lookup:after-dci');
      return;
    }
    const dir = x.sc.dirs.find((d) => d.id === x.dir);
    if (exact === undefined && (dir?.ci === true || dir?.noNegative === true)) {
      x.ret('lookup', null);
      v.result = v.d1;
      x.leave();
      return;
    }
    v.spliceDentry = v.d1;
    v.spliceKey = dcacheKey(x.dir, v.name);
    v.spliceInode = exact === undefined ? null : inodeOf(exact);
    x.enter('d_splice_alias:call', 'fs_lookup:after-splice');
  },
  'after-splice'(x) {
    x.ret('lookup', null);
    x.v.result = x.v.d1;
    x.leave();
  },
  'after-dci'(x) {
    x.ret('lookup', x.v.dciRet as Scalar);
    x.v.result = x.v.dciRet;
    x.leave();
  },
});

/** The inode id of an on-disk name: one inode per name, whatever the spelling looked up. */
export function inodeOf(exact: string): string {
  return `I${exact.length}${exact.toLowerCase()}`;
}
