/**
 * Groups calls made close together into one batch call: callers `add(item)` and get their own
 * result; the batch runs when `maxSize` items are waiting or `maxWaitMs` after the first one.
 * For hot paths where many concurrent jobs each need one small query (webhook deliveries), so
 * the database sees one statement per batch instead of one per job.
 */
export class MicroBatcher<T, R> {
  private items: T[] = [];
  private waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param run executes one batch; must return one result per item, in order.
   * @param maxWaitMs how long the first item of a batch may wait for company, ms.
   */
  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly maxSize = 100,
    private readonly maxWaitMs = 2,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      if (this.items.length >= this.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    if (items.length === 0) return;
    this.run(items).then(
      (results) => waiters.forEach((w, i) => w.resolve(results[i])),
      (err) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
