// A binary min-heap of numbers: the ready set of the topological orders (graph.ts, fuse.ts), so
// picking the next node costs log n instead of a scan or sort of everything ready (which made
// ordering a 2,000-node graph quadratic).

/** Smallest-first heap of numbers (ids or positions); `push`/`pop` are O(log n). */
export class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as number;
      if (p <= value) break;
      a[i] = p;
      i = parent;
    }
    a[i] = value;
  }

  /** The smallest value, removed; undefined when empty. */
  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const child = r < a.length && (a[r] as number) < (a[l] as number) ? r : l;
      const c = a[child] as number;
      if (c >= last) break;
      a[i] = c;
      i = child;
    }
    a[i] = last;
    return top;
  }
}
