/**
 * Runs of one task, coalesced: a call while a run is going joins the single next run (queued
 * after it), so a burst of writes costs two runs, not one per write, and every caller gets a
 * run that started after its call.
 */
export interface Coalesced<T> {
  (): Promise<T>;
  /** resolves once no run is going or queued (a run may queue another meanwhile) */
  idle(): Promise<void>;
}

export function coalesce<T>(run: () => Promise<T>): Coalesced<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const call = (): Promise<T> => {
    if (queued) return queued;
    const after = (running ?? Promise.resolve()).catch(() => undefined);
    const next: Promise<T> = after.then(() => {
      if (queued === next) queued = undefined;
      return run();
    });
    queued = next;
    running = next;
    return next;
  };
  return Object.assign(call, {
    async idle() {
      while (running) {
        const current = running;
        await current.catch(() => undefined);
        if (running === current) return;
      }
    },
  });
}
