/**
 * A timed event: plain data, no closure, so 100,000+ pending events cost a few dozen bytes each.
 * `at` is virtual epoch milliseconds; `subject` is usually a device index.
 */
export interface SimEvent<D = unknown> {
  at: number;
  kind: string;
  subject: number;
  data?: D;
}

/**
 * A binary min-heap of events keyed by (at, insertion sequence): events due at the same virtual instant come out in
 * the order they were pushed, so a run is a pure function of its seed, never of heap layout.
 */
export class EventQueue<D = unknown> {
  // Parallel arrays: the sequence number stays out of the caller's event object.
  readonly #events: SimEvent<D>[] = [];
  readonly #seqs: number[] = [];
  #nextSeq = 0;

  get size(): number {
    return this.#events.length;
  }

  /** The time of the next event, or undefined when empty. */
  peekTime(): number | undefined {
    return this.#events[0]?.at;
  }

  peek(): SimEvent<D> | undefined {
    return this.#events[0];
  }

  push(event: SimEvent<D>): void {
    if (!Number.isFinite(event.at)) throw new RangeError(`an event needs a finite time (got ${event.at})`);
    this.#events.push(event);
    this.#seqs.push(this.#nextSeq++);
    this.#siftUp(this.#events.length - 1);
  }

  pop(): SimEvent<D> | undefined {
    const events = this.#events;
    const seqs = this.#seqs;
    const top = events[0];
    if (top === undefined) return undefined;
    const lastEvent = events.pop()!;
    const lastSeq = seqs.pop()!;
    if (events.length > 0) {
      events[0] = lastEvent;
      seqs[0] = lastSeq;
      this.#siftDown(0);
    }
    return top;
  }

  #less(i: number, j: number): boolean {
    const a = this.#events[i]!.at;
    const b = this.#events[j]!.at;
    return a < b || (a === b && this.#seqs[i]! < this.#seqs[j]!);
  }

  #swap(i: number, j: number): void {
    const events = this.#events;
    const seqs = this.#seqs;
    const e = events[i]!;
    events[i] = events[j]!;
    events[j] = e;
    const s = seqs[i]!;
    seqs[i] = seqs[j]!;
    seqs[j] = s;
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const n = this.#events.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#less(right, left) ? right : left;
      if (!this.#less(child, i)) return;
      this.#swap(child, i);
      i = child;
    }
  }
}
