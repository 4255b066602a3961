import type { Response } from 'express';
import type { ProjectUsage } from '../license/types.js';

// = + - @ start a formula; tab, CR, LF and NUL make spreadsheets skip to the next character,
// which may start one (OWASP "CSV injection")
const FORMULA_START = /^[=+\-@\t\r\n\0]/;

/**
 * One CSV cell (RFC 4180 quoting). Project and branch names come from the host's users, so a
 * cell that a spreadsheet would run as a formula is prefixed with a quote.
 */
export function cell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV's first line. */
export const USAGE_CSV_HEADER = 'project,branch,loc,share_of_limit_percent,last_analysis_at\r\n';

/** Rows of the per-project usage CSV, each line ended by CRLF; written a chunk at a time. */
export function usageCsvRows(rows: readonly ProjectUsage[]): string {
  let text = '';
  for (const r of rows) text += `${[r.project, r.branch, r.loc, r.share, r.lastAnalysisAt].map(cell).join(',')}\r\n`;
  return text;
}

/**
 * Streams the CSV: the header, then each chunk as it is read, waiting for the socket to drain;
 * stops reading when the client goes away. The first chunk is read before `begin` sets the
 * headers, so a database that cannot be read is still an error response. A later failure can only cut
 * the download short: it is given to `failed` and the connection is closed.
 */
export async function writeUsageCsv(
  res: Response,
  chunks: AsyncIterable<ProjectUsage[]>,
  on: { begin: () => void; failed: (err: unknown) => void },
): Promise<void> {
  const reader = chunks[Symbol.asyncIterator]();
  let step = await reader.next();
  on.begin();
  res.write(USAGE_CSV_HEADER);
  try {
    while (!step.done) {
      if (res.destroyed) {
        await reader.return?.();
        return;
      }
      if (!res.write(usageCsvRows(step.value))) await drained(res);
      step = await reader.next();
    }
    res.end();
  } catch (err) {
    on.failed(err);
    res.destroy();
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
