import type { ProjectUsage } from '../license/types.js';

/**
 * One CSV cell (RFC 4180 quoting). Project and branch names come from the host's users, so a
 * cell that a spreadsheet would run as a formula (= + - @, tab, CR) is prefixed with a quote.
 */
function cell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Per-project usage as CSV, largest first, one header line. */
export function usageCsv(rows: readonly ProjectUsage[]): string {
  const lines = ['project,branch,loc,share_of_limit_percent,last_analysis_at'];
  for (const r of rows) lines.push([r.project, r.branch, r.loc, r.share, r.lastAnalysisAt].map(cell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
