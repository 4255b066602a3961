/**
 * One process's way to the audit chain of one database (one knex instance): the work that takes
 * the chain-head lock runs one at a time, and appends that arrive while it runs wait and are then
 * written together, in ONE transaction under one lock (group commit). Nodes still queue on the
 * chain head in the database; inside a node they queue here, so they neither fight over the lock
 * (nor, on SQLite, over the write lock of one file) nor each pay a commit of their own.
 */
export interface Lane<I, O> {
  /** Queues one item; it is written with the others waiting when its batch's turn comes. */
  add(item: I): Promise<O>;
  /** Runs `work` alone, after what is queued before it and before what is queued after it. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

type Job<I, O> = { kind: 'item'; item: I; resolve: (out: O) => void; reject: (err: unknown) => void } | { kind: 'exclusive'; run: () => Promise<void> };

/**
 * `writeBatch` writes items in order and answers one output per item, or throws for all of them.
 * When a batch of several fails, each of its items is tried again alone, so one bad item (or a
 * failure meant for it) is answered to its own caller only.
 */
export function createLane<I, O>(writeBatch: (items: I[]) => Promise<O[]>, maxBatch: number): Lane<I, O> {
  const queue: Job<I, O>[] = [];
  let running = false;

  const writeItems = async (jobs: Array<Extract<Job<I, O>, { kind: 'item' }>>): Promise<void> => {
    try {
      const outs = await writeBatch(jobs.map((j) => j.item));
      jobs.forEach((j, i) => {
        j.resolve(outs[i]!);
      });
    } catch (err) {
      if (jobs.length === 1) return jobs[0]!.reject(err);
      for (const job of jobs) await writeItems([job]);
    }
  };

  const drain = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0) {
        const first = queue[0]!;
        if (first.kind === 'exclusive') {
          queue.shift();
          await first.run();
          continue;
        }
        const batch: Array<Extract<Job<I, O>, { kind: 'item' }>> = [];
        while (batch.length < maxBatch && queue[0]?.kind === 'item') batch.push(queue.shift() as Extract<Job<I, O>, { kind: 'item' }>);
        await writeItems(batch);
      }
    } finally {
      running = false;
    }
  };

  const push = (job: Job<I, O>) => {
    queue.push(job);
    if (!running) void drain();
  };

  return {
    add: (item) => new Promise<O>((resolve, reject) => push({ kind: 'item', item, resolve, reject })),
    exclusive: <T>(work: () => Promise<T>) => new Promise<T>((resolve, reject) => push({ kind: 'exclusive', run: () => work().then(resolve, reject) })),
  };
}
