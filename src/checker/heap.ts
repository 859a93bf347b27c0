/**
 * How far the V8 heap of a check may grow past what it keeps. After each full collection V8 lets
 * the old generation grow by a factor it picks from how cheap collections have been: up to four
 * times what survived when they are rare next to the program's own work, as in a long check, whose
 * peak then follows that factor times its live state (the bench's check of 800,000 events keeps
 * 34 MB and peaked at 216 MB). A fixed factor of two bounds the peak to about twice the live state
 * plus the young generation (166 MB there), at a CPU cost within the noise of A/B runs (the
 * collections it adds are of a heap that is mostly live). The flag is process-wide: the command
 * line sets it for its own process, a library user decides for theirs.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation's growth after a full collection: `1 + HEAP_GROWING_PERCENT / 100` times what survived. */
export const HEAP_GROWING_PERCENT = 100;

/** Sets the heap growth of this process for long checks (see above). */
export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
