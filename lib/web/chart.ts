import { formatCompact, formatDate, formatNumber, formatShortDay } from './format.js';

/**
 * Geometry of the 90-day history chart, drawn server-side as inline SVG (no script needed).
 *
 * NOTE: the SVG has no viewBox, so its text is drawn at its CSS size at every width (a scaled
 * viewBox shrank 11 px labels to 6 px on a phone). The line is drawn in a nested SVG that does
 * stretch (`preserveAspectRatio="none"`, strokes that do not scale); the horizontal lines and the
 * labels are placed in pixels vertically and in percent horizontally.
 */
export interface HistoryChart {
  height: number;
  /** the plot's box inside the SVG, in pixels from the top */
  plot: { top: number; bottom: number };
  /** width of the nested drawing's coordinate space (x of a day = its index scaled to it) */
  span: number;
  /** SVG paths of the consumption line and of the area under it, in the nested drawing's space */
  line: string;
  area: string;
  /** every day drawn: its position in percent and pixels, for the dots, hover and the table */
  points: { day: string; label: string; value: string; used: number; xPct: number; y: number }[];
  limitY: number | null;
  thresholdY: number | null;
  yTicks: { y: number; label: string }[];
  xLabels: { xPct: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  /** largest value on the y axis, for the script that moves the threshold line */
  top: number;
  limit: number | null;
  /** one sentence for screen readers */
  summary: string;
}

const H = 220;
const PLOT = { top: 14, bottom: H - 28 };
const SPAN = 1000;
export const HISTORY_DAYS = 90;
const DAY_MS = 86_400_000;

const dayIndex = (day: string, first: number) => Math.round((Date.parse(`${day}T00:00:00Z`) - first) / DAY_MS);

/**
 * Scales daily snapshots (oldest first, ending today) into the chart over the last 90 days: a
 * missing day leaves a gap in time, not a squeezed line. The y axis always shows the limit (and
 * the threshold under it) so the line reads against what the license allows.
 */
export function historyChart(points: readonly { day: string; used: number }[], limit: number | null, threshold: number): HistoryChart | null {
  if (points.length === 0) return null;
  const lastDay = points.at(-1)!.day;
  const first = Date.parse(`${lastDay}T00:00:00Z`) - (HISTORY_DAYS - 1) * DAY_MS;
  const inRange = points.filter((p) => dayIndex(p.day, first) >= 0);
  const maxUsed = Math.max(...inRange.map((p) => p.used));
  const top = Math.max(maxUsed, limit ?? 0, 1) * 1.1;
  const xOf = (day: string) => dayIndex(day, first) / (HISTORY_DAYS - 1);
  const y = (v: number) => PLOT.bottom - ((PLOT.bottom - PLOT.top) * v) / top;
  const r = (n: number) => Math.round(n * 10) / 10;
  const drawn = inRange.map((p) => ({
    day: p.day,
    label: formatDate(p.day),
    value: formatNumber(p.used),
    used: p.used,
    xPct: r(xOf(p.day) * 100),
    y: r(y(p.used)),
  }));
  // the nested drawing spans the plot's height only: its y starts at PLOT.top
  const coords = drawn.map((p) => ({ x: r(p.xPct * (SPAN / 100)), y: r(p.y - PLOT.top) }));
  const line = coords.map((c, i) => `${i === 0 ? 'M' : 'L'}${c.x},${c.y}`).join(' ');
  const base = PLOT.bottom - PLOT.top;
  const area = `${line} L${coords.at(-1)!.x},${base} L${coords[0]!.x},${base} Z`;
  const firstShown = drawn[0]!;
  const last = drawn.at(-1)!;
  const xLabels: HistoryChart['xLabels'] = [0, 30, 60, 89].map((i) => ({
    xPct: r((i / (HISTORY_DAYS - 1)) * 100),
    label: formatShortDay(new Date(first + i * DAY_MS)),
    anchor: i === 0 ? 'start' : i === 89 ? 'end' : 'middle',
  }));
  return {
    height: H,
    plot: PLOT,
    span: SPAN,
    line,
    area,
    points: drawn,
    limitY: limit === null ? null : r(y(limit)),
    thresholdY: limit === null ? null : r(y((limit * threshold) / 100)),
    yTicks: [0, top / 2, top].map((v) => ({ y: r(y(v)), label: formatCompact(v) })),
    xLabels,
    top,
    limit,
    summary:
      `Lines of code on ${drawn.length} of the last ${HISTORY_DAYS} days: ` +
      `${firstShown.value} on ${firstShown.label}, ${last.value} on ${last.label}` +
      (limit === null ? '; no limit.' : `; limit ${formatNumber(limit)}.`),
  };
}
