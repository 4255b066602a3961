import { formatCompact, formatDate } from './format.js';

/** Geometry of the 90-day history chart, drawn server-side as inline SVG (no script needed). */
export interface HistoryChart {
  width: number;
  height: number;
  /** SVG path of the consumption line, and of the area under it */
  line: string;
  area: string;
  /** single point when there is only one day */
  dots: { x: number; y: number }[];
  limitY: number | null;
  thresholdY: number | null;
  yTicks: { y: number; label: string }[];
  xLabels: { x: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  plot: { left: number; right: number; top: number; bottom: number };
  /** one sentence for screen readers */
  summary: string;
}

const W = 640;
const H = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

/**
 * Scales daily snapshots (oldest first) into the chart's box. The y axis always shows the limit
 * (and the threshold under it) so the line reads against what the license allows.
 */
export function historyChart(
  points: readonly { day: string; used: number }[],
  limit: number | null,
  threshold: number,
): HistoryChart | null {
  if (points.length === 0) return null;
  const plot = { left: PAD.left, right: W - PAD.right, top: PAD.top, bottom: H - PAD.bottom };
  const maxUsed = Math.max(...points.map((p) => p.used));
  const top = Math.max(maxUsed, limit ?? 0, 1) * 1.1;
  const x = (i: number) => (points.length === 1 ? (plot.left + plot.right) / 2 : plot.left + ((plot.right - plot.left) * i) / (points.length - 1));
  const y = (v: number) => plot.bottom - ((plot.bottom - plot.top) * v) / top;
  const r = (n: number) => Math.round(n * 10) / 10;
  const coords = points.map((p, i) => ({ x: r(x(i)), y: r(y(p.used)) }));
  const line = coords.map((c, i) => `${i === 0 ? 'M' : 'L'}${c.x},${c.y}`).join(' ');
  const area = `${line} L${coords.at(-1)!.x},${plot.bottom} L${coords[0]!.x},${plot.bottom} Z`;
  const first = points[0]!;
  const last = points.at(-1)!;
  return {
    width: W,
    height: H,
    line,
    area,
    dots: points.length === 1 ? coords : [],
    limitY: limit === null ? null : r(y(limit)),
    thresholdY: limit === null ? null : r(y((limit * threshold) / 100)),
    yTicks: [0, top / 2, top].map((v) => ({ y: r(y(v)), label: formatCompact(v) })),
    xLabels:
      points.length === 1
        ? [{ x: coords[0]!.x, label: formatDate(first.day), anchor: 'middle' }]
        : [
            { x: plot.left, label: formatDate(first.day), anchor: 'start' },
            { x: plot.right, label: formatDate(last.day), anchor: 'end' },
          ],
    plot,
    summary:
      `Lines of code over ${points.length} day${points.length === 1 ? '' : 's'}: ` +
      `${first.used.toLocaleString('en-US')} on ${formatDate(first.day)}, ${last.used.toLocaleString('en-US')} on ${formatDate(last.day)}` +
      (limit === null ? '; no limit.' : `; limit ${limit.toLocaleString('en-US')}.`),
  };
}
