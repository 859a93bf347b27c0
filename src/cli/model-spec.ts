/**
 * The spec that judges runs of the model (`kinv explore`, `kinv fuzz`): loaded in the model's lock
 * order when it has the bundled `order` parameter, as it is; a spec of one's own may have none.
 */
import { loadSpec, type LoadedSpec } from '../analysis/load.js';
import type { Result } from '../diag/diagnostic.js';
import { paramsOf, UsageError } from './args.js';

export function modelSpec(specs: string[], params: string[], order: 'current' | 'new'): Result<LoadedSpec> & { sources: Map<string, string> } {
  const given = paramsOf(params);
  // The model runs in one order and its spec is judged in it: a second order would judge the runs
  // by another rule than the one they ran under, and the printed replay would not reproduce them.
  if ('order' in given) throw new UsageError(`--param order=${given.order}: the order is --order (current or new), for the model and its spec alike`);
  const inOrder = loadSpec(specs, { params: { ...given, order } });
  if (inOrder.ok) return inOrder;
  const noOrderParam = inOrder.diagnostics.length > 0 && inOrder.diagnostics.every((d) => d.code === 'KV105' && d.message.includes("'order'"));
  return noOrderParam ? loadSpec(specs, { params: given }) : inOrder;
}
