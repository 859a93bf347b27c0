/** A one-line progress display on stderr for long inputs, only on a terminal. */
export class Progress {
  private last = 0;
  private shown = false;
  private readonly started = performance.now();

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream) {}

  update(lines: number, events: number): void {
    if (!this.stream.isTTY) return;
    const now = performance.now();
    if (now - this.last < 250 || now - this.started < 500) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    this.stream.write(`\r\x1b[K${this.label}: ${lines.toLocaleString()} lines, ${events.toLocaleString()} events, ${Math.round(events / secs).toLocaleString()} events/s`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) { this.stream.write('\r\x1b[K'); this.shown = false; }
  }
}
