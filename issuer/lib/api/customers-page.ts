/**
 * One page of customers in (company, account name) order, read by keyset: the cursor is the last
 * row's sort key, so page 1,000 costs what page 1 costs. The search matches company, account name
 * and account ID, as the portal's customer search does.
 */
import type { Knex } from 'knex';
import { LicenseError } from 'license-manager/formats';

interface Row {
  name: string;
  company: string;
  account_id: string;
  prospect: number | boolean;
  created_at: number | string;
}

const LIKE_SPECIAL = /[!%_]/g;

const encodeCursor = (r: Pick<Row, 'company' | 'name'>) => Buffer.from(JSON.stringify([r.company, r.name]), 'utf8').toString('base64url');

function decodeCursor(after: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === 'string')) return v as [string, string];
  } catch {
    // falls through to the refusal
  }
  throw new LicenseError('VALIDATION_FAILED', {
    detail: 'The query parameter after is not a cursor this API gave out: pass the `next` of the previous page.',
    data: { field: 'after' },
  });
}

export async function customersPage(db: Knex, o: { query: string; after?: string; limit: number }) {
  const q = db<Row>('vendor_accounts')
    .select('name', 'company', 'account_id', 'prospect', 'created_at')
    .orderBy([{ column: 'company' }, { column: 'name' }])
    .limit(o.limit + 1);
  const needle = o.query.trim().toLowerCase();
  if (needle) {
    const pattern = `%${needle.replace(LIKE_SPECIAL, (c) => `!${c}`)}%`;
    q.where((w) => {
      for (const column of ['company', 'name', 'account_id']) w.orWhereRaw(`lower(??) like ? escape '!'`, [column, pattern]);
    });
  }
  if (o.after) {
    const [company, name] = decodeCursor(o.after);
    q.where((w) => w.where('company', '>', company).orWhere((x) => x.where('company', company).andWhere('name', '>', name)));
  }
  const rows = await q;
  const page = rows.slice(0, o.limit);
  return {
    items: page.map((r) => ({
      name: r.name,
      company: r.company,
      accountId: r.account_id,
      prospect: Boolean(r.prospect),
      createdAt: new Date(Number(r.created_at)),
    })),
    next: rows.length > o.limit ? encodeCursor(page[page.length - 1]!) : null,
  };
}
