import { nowMs } from '../values/clock.js';

/** A one-line progress display on stderr for long inputs, only on a terminal. */
export class Progress {
  private last = 0;
  private shown = false;
  private readonly started = nowMs();

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream) {}

  update(lines: number, events: number): void {
    if (!this.stream.isTTY) return;
    const now = nowMs();
    if (now - this.last < 250 || now - this.started < 500) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    const rate = Math.round(events / secs).toLocaleString();
    this.stream.write(`\r\x1b[K${this.label}: ${lines.toLocaleString()} lines, ${events.toLocaleString()} events, ${rate} events/s`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) { this.stream.write('\r\x1b[K'); this.shown = false; }
  }
}

/** A one-line status on stderr for long searches (explore, fuzz), only on a terminal. */
export class Status {
  private last = 0;
  private shown = false;
  private readonly started = nowMs();

  constructor(private readonly stream: NodeJS.WriteStream) {}

  /** Seconds since the start, for rates. */
  get seconds(): number {
    return (nowMs() - this.started) / 1000;
  }

  /** `text` is only built when the line is redrawn (about once a second). */
  show(text: () => string): void {
    if (!this.stream.isTTY) return;
    const now = nowMs();
    if (now - this.last < 1000 || now - this.started < 500) return;
    this.last = now;
    this.stream.write(`\r\x1b[K${text()}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) { this.stream.write('\r\x1b[K'); this.shown = false; }
  }
}
