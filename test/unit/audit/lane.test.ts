import { expect } from 'chai';
import { createLane } from '../../../lib/audit/lane.js';

/** A writer whose batches the test releases one at a time. */
function gatedWriter(fail: (item: number) => boolean = () => false) {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const write = async (items: number[]) => {
    batches.push([...items]);
    await new Promise<void>((release) => gates.push(release));
    if (items.some(fail)) throw new Error(`batch ${items.join(',')} failed`);
    return items.map((n) => `entry ${n}`);
  };
  const releaseAll = async () => {
    for (let turns = 0; turns < 50; turns++) {
      await new Promise((r) => setImmediate(r));
      for (const release of gates.splice(0)) release();
    }
  };
  return { batches, write, releaseAll };
}

describe('audit lane (group commit)', () => {
  it('writes what arrives while a batch is in flight as one batch, in order, each caller getting its own output', async () => {
    const w = gatedWriter();
    const lane = createLane(w.write, 3);
    const outs = [1, 2, 3, 4, 5, 6].map((n) => lane.add(n));
    await w.releaseAll();
    expect(await Promise.all(outs)).to.deep.equal([1, 2, 3, 4, 5, 6].map((n) => `entry ${n}`));
    expect(w.batches).to.deep.equal([[1], [2, 3, 4], [5, 6]]);
  });

  it('runs exclusive work alone, between the items queued before and after it', async () => {
    const w = gatedWriter();
    const lane = createLane(w.write, 10);
    const seen: string[] = [];
    const first = [lane.add(1), lane.add(2)];
    const alone = lane
      .exclusive(async () => {
        seen.push(`exclusive after ${w.batches.length} batches`);
        throw new Error('its own failure');
      })
      .then(
        () => 'ok',
        (e: Error) => e.message,
      );
    const after = lane.add(3);
    await w.releaseAll();
    await Promise.all(first);
    expect(await alone).to.equal('its own failure');
    expect(await after).to.equal('entry 3');
    expect(seen).to.deep.equal(['exclusive after 2 batches']);
    expect(w.batches).to.deep.equal([[1], [2], [3]]);
  });

  it('answers a failed batch item by item, so only the failing caller gets the error', async () => {
    const w = gatedWriter((n) => n === 3);
    const lane = createLane(w.write, 10);
    const outs = [1, 2, 3, 4].map((n) =>
      lane.add(n).then(
        (o) => o,
        (e: Error) => e.message,
      ),
    );
    await w.releaseAll();
    expect(await Promise.all(outs)).to.deep.equal(['entry 1', 'entry 2', 'batch 3 failed', 'entry 4']);
    expect(w.batches).to.deep.equal([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
