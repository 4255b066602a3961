import { expect } from 'chai';
import { withDbs } from '../../helpers/dbs.js';
import { usageInstance } from '../../helpers/usage-instance.js';
import { resetMark } from '../../../lib/store/clock-mark.js';

withDbs('usage report downloaded again (SPEC 18.1: a GET takes no new number while nothing changed)', (dbs) => {
  it('gives back the same report for the same period and data, and a new number once the data or the period changes', async () => {
    const inst = await usageInstance(dbs);
    try {
      await inst.snapshot('2026-01-10', 500, 3);
      await inst.snapshot('2026-01-20', 700, 4);
      const first = await inst.report('2026-02-01T10:00:00Z');
      expect(first.payload.seq).to.equal(1);
      expect(first.payload.period).to.deep.equal({ from: '2026-01', to: '2026-02' });

      // the default period now starts at the last month reported: a new period, a new number
      const second = await inst.report('2026-02-01T11:00:00Z');
      expect(second.payload).to.include({ seq: 2 });
      expect(second.payload.period).to.deep.equal({ from: '2026-02', to: '2026-02' });

      // a second click, a reload: the very same report, no new number, no gap
      const again = await inst.report('2026-02-01T12:00:00Z');
      expect(again.text).to.equal(second.text);
      expect(again.fileName).to.equal(second.fileName);
      expect(await inst.knex('license_usage_reports').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 2);

      // the job's next snapshot changes what the period holds: the next number, chained to the last
      await inst.snapshot('2026-02-01', 900, 5);
      const third = await inst.report('2026-02-01T13:00:00Z');
      expect(third.payload).to.include({ seq: 3 });
      expect(third.payload.monthly[0]).to.include({ month: '2026-02', peakLoc: 900, peakUsers: 5 });
      expect(third.text).to.not.equal(second.text);
    } finally {
      await inst.knex.destroy();
    }
  });

  it('names each clock-reset in the next report only, so the vendor sees it (SPEC 21), and a reset makes a new report', async () => {
    const inst = await usageInstance(dbs);
    try {
      await inst.snapshot('2026-01-10', 500, 3);
      const first = await inst.report('2026-02-01T10:00:00Z');
      expect(first.payload.clockResets).to.deep.equal([]);
      // the machine clock was set back and someone reset the mark (license-manager clock-reset)
      await resetMark(inst.knex, new Date('2026-02-01T10:30:00Z'), 'ops-oncall');
      const second = await inst.report('2026-02-01T11:00:00Z');
      expect(second.payload.seq).to.equal(2);
      expect(second.payload.clockResets).to.deep.equal([{ at: Date.parse('2026-02-01T10:30:00Z') / 1000, actor: 'ops-oncall', from: null }]);
      // downloaded again: the same report, still naming it; the report after it does not
      expect((await inst.report('2026-02-01T11:30:00Z')).text).to.equal(second.text);
      await inst.snapshot('2026-02-01', 900, 5);
      const third = await inst.report('2026-02-01T12:00:00Z');
      expect(third.payload.seq).to.equal(3);
      expect(third.payload.clockResets).to.deep.equal([]);
      // the audit chain's head rides along: the reset is its one entry
      expect(third.payload.audit).to.deep.include({ entries: 1 });
    } finally {
      await inst.knex.destroy();
    }
  });
});
