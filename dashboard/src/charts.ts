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
  /** Step between points (s): each point is a bucket [t, t + step). */
  stepS: number;
  /** Counts: whole-number ticks only. Default: false. */
  integer?: boolean;
  /** Draw each point as a bar over its bucket, not a line. Default: false. */
  bars?: boolean;
}

/** Bars over each bucket, starting at its time (align 1), at most 40 px wide. */
const bars = uPlot.paths.bars?.({ size: [0.85, 40], align: 1 });

/** Dots where a line alone would not show: few points, or a point with no neighbour to join. */
function needsDots(values: readonly (number | null)[]): boolean {
  const present = values.filter((v) => v !== null).length;
  return present <= 12 || values.some((v, i) => v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null);
}

const css = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export function timeChart(el: HTMLElement, o: TimeChartOptions): { destroy(): void } {
  const axisColor = css("--muted", "#6b7280");
  const grid = { stroke: css("--grid", "rgba(128,128,128,0.15)"), width: 1 };
  const opts: uPlot.Options = {
    width: Math.max(260, el.clientWidth),
    height: o.height ?? 200,
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: {
      // The whole of the last bucket is on the chart, not just its start.
      x: { time: true, range: () => [o.times[0] ?? 0, (o.times[o.times.length - 1] ?? 0) + o.stepS] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { stroke: axisColor, grid, ticks: grid },
      {
        stroke: axisColor,
        grid,
        ticks: grid,
        // As wide as the longest label (about 7 px a character at this font size), so none is cut.
        size: (_u, values) => Math.max(40, ...(values ?? []).map((v) => String(v).length * 7 + 16)),
        ...(o.integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 50_000, 100_000, 1e6] } : {}),
        values: (_u, vals) => vals.map((v) => o.format(v)),
      },
    ],
    series: [
      { value: (_u, v) => (v === null ? "–" : new Date(v * 1000).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })) },
      ...o.lines.map((l) => ({
        label: l.label,
        stroke: l.color,
        // Bars are fill only: an outline would draw every empty bucket as a dash on the baseline.
        width: o.bars ? 0 : 2,
        ...(l.dash ? { dash: l.dash } : {}),
        ...(l.fill ? { fill: o.bars ? `${l.color}cc` : `${l.color}55` } : {}),
        // A lone point between gaps (one bucket with answers) still shows as a dot.
        points: { show: !o.bars && needsDots(l.values), size: 5, fill: l.color },
        ...(o.bars ? { paths: bars } : {}),
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
 * Stacked bars: series i is drawn at the sum of series 0..i, listed top first so each lower one
 * paints over the one above it; the legend shows each series' own value.
 */
export function stackedChart(el: HTMLElement, o: TimeChartOptions): { destroy(): void } {
  const sums = o.times.map(() => 0);
  const stacked = o.lines.map((l) => {
    const values = l.values.map((v, i) => (sums[i] = (sums[i] ?? 0) + (v ?? 0)));
    return { ...l, values, fill: true, shown: (i: number) => o.format(l.values[i] ?? 0) };
  });
  return timeChart(el, { ...o, bars: true, lines: stacked.reverse() });
}
