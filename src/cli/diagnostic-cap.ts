/**
 * Input diagnostics shown per code up to a cap, then only counted: a damaged capture can give one
 * diagnostic per line, and the first few of each kind say what is wrong. `check` and `conform` share it.
 */
import type { Diagnostic } from '../diag/diagnostic.js';

export class DiagnosticCap {
  private readonly shown = new Map<string, number>();

  constructor(private readonly max: number, private readonly show: (d: Diagnostic) => void) {}

  /** Shows `d` unless its code has been shown `max` times already. */
  readonly take = (d: Diagnostic): void => {
    const n = (this.shown.get(d.code) ?? 0) + 1;
    this.shown.set(d.code, n);
    if (n <= this.max) this.show(d);
  };

  /** One line per code with diagnostics not shown, for standard error. */
  untold(): string {
    let out = '';
    for (const [code, n] of this.shown) {
      if (n > this.max) out += `(${n - this.max} more ${code} diagnostics not shown; --max-diagnostics N to see more)\n`;
    }
    return out;
  }
}
