/**
 * Time charts on uPlot: one function per kind of chart the Overview draws. Each returns the chart so
 * the view can destroy it when it goes; width follows the card (ResizeObserver).
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Line {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: number[];
  /** Fill under the line (stacked areas). */
  fill?: boolean;
  /** What the legend shows for point i (the raw value of a stacked series). Default: the plotted value. */
  shown?: (i: number) => string;
}

export interface TimeChartOptions {
  /** Point times, seconds since the epoch. */
  times: number[];
  lines: Line[];
  /** Formats axis values and legend values. */
  format: (v: number) => string;
  height?: number;
  /** Step between points (s), so bars and the legend read as buckets. */
  stepS: number;
}

const css = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export function timeChart(el: HTMLElement, o: TimeChartOptions): { destroy(): void } {
  const axisColor = css("--muted", "#6b7280");
  const grid = { stroke: css("--grid", "rgba(128,128,128,0.15)"), width: 1 };
  const opts: uPlot.Options = {
    width: Math.max(260, el.clientWidth),
    height: o.height ?? 200,
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: axisColor, grid, ticks: grid },
      { stroke: axisColor, grid, ticks: grid, size: 56, values: (_u, vals) => vals.map((v) => o.format(v)) },
    ],
    series: [
      { value: (_u, v) => (v === null ? "–" : new Date(v * 1000).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })) },
      ...o.lines.map((l) => ({
        label: l.label,
        stroke: l.color,
        width: 2,
        ...(l.dash ? { dash: l.dash } : {}),
        ...(l.fill ? { fill: `${l.color}55` } : {}),
        points: { show: false },
        spanGaps: false,
        value: (_u: uPlot, v: number | null, _si: number, i: number | null) => (l.shown && i !== null ? l.shown(i) : v === null ? "–" : o.format(v)),
      })),
    ],
    legend: { live: true },
  };
  const chart = new uPlot(opts, [o.times, ...o.lines.map((l) => l.values)] as uPlot.AlignedData, el);
  const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(260, el.clientWidth), height: o.height ?? 200 }));
  resize.observe(el);
  return {
    destroy() {
      resize.disconnect();
      chart.destroy();
    },
  };
}

/**
 * Stacked areas: series i is drawn at the sum of series 0..i, listed top first so each lower one
 * paints over the one above it; the legend shows each series' own value.
 */
export function stackedChart(el: HTMLElement, o: TimeChartOptions): { destroy(): void } {
  const sums = o.times.map(() => 0);
  const stacked = o.lines.map((l) => {
    const values = l.values.map((v, i) => (sums[i] = (sums[i] ?? 0) + (v ?? 0)));
    return { ...l, values, fill: true, shown: (i: number) => o.format(l.values[i] ?? 0) };
  });
  return timeChart(el, { ...o, lines: stacked.reverse() });
}
