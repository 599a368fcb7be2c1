/**
 * A bounded ring of trace lines (or of event records: the type parameter): keeps the newest `capacity` lines and counts what it dropped,
 * in O(1) per line so a flood of >100k lines/s costs no more than the lines themselves.
 */
export class TraceBuffer<T = string> {
  private readonly ring: (T | undefined)[];
  private start = 0;
  private size = 0;
  private droppedSinceDrain = 0;
  private droppedTotal = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<T | undefined>(capacity);
  }

  /** Returns the oldest item when it had to make room for this one, so callers can say what was dropped. */
  push(line: T): T | undefined {
    if (this.size === this.capacity) {
      // Overwrite the oldest: the newest lines are the ones a person watching wants to see.
      const dropped = this.ring[this.start];
      this.ring[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
      this.droppedSinceDrain++;
      this.droppedTotal++;
      return dropped;
    }
    this.ring[(this.start + this.size) % this.capacity] = line;
    this.size++;
    return undefined;
  }

  drain(): { lines: T[]; dropped: number } {
    const lines: T[] = new Array<T>(this.size);
    for (let index = 0; index < this.size; index++) {
      const slot = (this.start + index) % this.capacity;
      lines[index] = this.ring[slot]!;
      this.ring[slot] = undefined;
    }
    const drained = { lines, dropped: this.droppedSinceDrain };
    this.start = 0;
    this.size = 0;
    this.droppedSinceDrain = 0;
    return drained;
  }

  get totalDropped(): number {
    return this.droppedTotal;
  }
}
