import { nowMs } from '../values/clock.js';

/** A one-line progress display on stderr for long inputs, only on a terminal. */
export class Progress {
  private last = 0;
  private shown = false;
  private readonly started = nowMs();
  private eventsFrom: number | undefined;

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream) {}

  update(lines: number, events: number): void {
    // (the rate since the events began: a capture's read ahead comes before them)
    this.eventsFrom ??= nowMs();
    // (a batch cut early, at a probe's first record, comes before its lines are counted)
    if (lines === 0 || !this.due()) return;
    const secs = Math.max(0.001, (nowMs() - this.eventsFrom) / 1000);
    const rate = Math.round(events / secs).toLocaleString();
    this.stream.write(`\r\x1b[K${this.label}: ${lines.toLocaleString()} lines, ${events.toLocaleString()} events, ${rate} events/s`);
    this.shown = true;
  }

  /** The lines read so far by the read ahead of a capture (before any event is judged). */
  ahead(lines: number): void {
    if (!this.due()) return;
    this.stream.write(`\r\x1b[K${this.label}: reading ahead (what holds throughout the capture), ${lines.toLocaleString()} lines`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) { this.stream.write('\r\x1b[K'); this.shown = false; }
  }

  /** On a terminal, at most four times a second, and not in the first half second. */
  private due(): boolean {
    if (!this.stream.isTTY) return false;
    const now = nowMs();
    if (now - this.last < 250 || now - this.started < 500) return false;
    this.last = now;
    return true;
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
