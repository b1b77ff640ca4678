/**
 * Reading a Prometheus /metrics page: parse-prometheus-text-format (its output follows prom2json) for
 * the page as a whole and its counters and gauges. Histograms are read from their exact
 * `_count`/`_sum`/`_bucket` lines instead: that parser merges the series of a labelled histogram into
 * one, losing the labels and the totals.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Sample {
  labels?: Record<string, string>;
  /** Counters, gauges, untyped. (Histograms: read them with histogram().) */
  value?: string;
}

export interface Family {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: Sample[];
}

export type Scrape = Map<string, Family> & { text: string };

export function parseMetrics(text: string): Scrape {
  const families = (parsePrometheusTextFormat as (text: string) => Family[])(text);
  return Object.assign(new Map(families.map((f) => [f.name, f])), { text });
}

/** Labels of one exposition line's series (`a="x",b="y"`); Hearth's label values hold no quotes. */
function labelsOf(inner: string): Record<string, string> {
  return Object.fromEntries([...inner.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** The lines of `series` (e.g. `x_count`) whose labels include `labels`, as numbers by their `le` (or ""). */
function lines(text: string, series: string, labels: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== series) continue;
    const own = labelsOf(m[2] ?? "");
    if (Object.entries(labels).every(([k, v]) => own[k] === v)) out.set(own.le ?? "", Number(m[3]));
  }
  return out;
}

/** A histogram's series with these labels: its count, sum and cumulative buckets by upper bound. */
export function histogram(scrape: Scrape, name: string, labels: Record<string, string>): { count: number; sum: number; buckets: Map<string, number> } {
  const count = lines(scrape.text, `${name}_count`, labels);
  const sum = lines(scrape.text, `${name}_sum`, labels);
  if (count.size !== 1 || sum.size !== 1) throw new Error(`${count.size} series of ${name} with ${JSON.stringify(labels)}`);
  return { count: count.get("") ?? NaN, sum: sum.get("") ?? NaN, buckets: lines(scrape.text, `${name}_bucket`, labels) };
}

/** The one sample of `name` whose labels include `labels`; throws if there is not exactly one. */
export function sample(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample {
  const found = (scrape.get(name)?.metrics ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return found[0] as Sample;
}

/** A counter's or gauge's value, as a number. */
export const valueOf = (scrape: Scrape, name: string, labels: Record<string, string> = {}): number => Number(sample(scrape, name, labels).value);

export async function scrape(url: string): Promise<Scrape> {
  const r = await fetch(url);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
  return parseMetrics(await r.text());
}
