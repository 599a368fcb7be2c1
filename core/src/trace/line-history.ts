/**
 * The newest `capacity` trace lines of a view, kept for "save to file" and to fill the view
 * when it is shown again; pushing is O(1) per line whatever the rate. The event tables keep
 * their records in the same way (the type parameter).
 */
export class LineHistory<T = string> {
  private readonly ring: (T | undefined)[];
  private start = 0;
  private size = 0;
  private seen = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<T | undefined>(Math.max(1, capacity));
  }

  push(lines: readonly T[]): void {
    const capacity = this.ring.length;
    // Only the tail of a batch larger than the ring can survive it.
    for (let index = Math.max(0, lines.length - capacity); index < lines.length; index++) {
      this.ring[(this.start + this.size) % capacity] = lines[index];
      if (this.size < capacity) this.size++;
      else this.start = (this.start + 1) % capacity;
    }
    this.seen += lines.length;
  }

  /** The newest `count` lines (all kept lines by default), oldest first. */
  newest(count = this.size): T[] {
    const taken = Math.min(count, this.size);
    const lines = new Array<T>(taken);
    for (let index = 0; index < taken; index++) lines[index] = this.ring[(this.start + this.size - taken + index) % this.ring.length]!;
    return lines;
  }

  /** Lines kept now. */
  get length(): number {
    return this.size;
  }

  /** Lines pushed since the last clear, kept or not. */
  get total(): number {
    return this.seen;
  }

  /** A history of another capacity holding the newest of these lines, with the same total. */
  withCapacity(capacity: number): LineHistory<T> {
    const resized = new LineHistory<T>(capacity);
    resized.push(this.newest());
    resized.seen = this.seen;
    return resized;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.size = 0;
    this.seen = 0;
  }
}
