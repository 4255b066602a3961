import { expect } from 'chai';
import knexFactory from 'knex';
import { withDbs } from '../helpers/dbs.js';

withDbs('test database helper', (dbs) => {
  it('gives each test its own empty database that accepts writes', async () => {
    const a = await dbs.fresh();
    const b = await dbs.fresh();
    expect(a.name).to.not.equal(b.name);
    const k = knexFactory(a.config);
    try {
      await k.schema.createTable('probe', (t) => t.integer('n'));
      await k('probe').insert({ n: 7 });
      expect((await k('probe').select('n'))[0].n).to.equal(7);
    } finally {
      await k.destroy();
    }
  });
});
