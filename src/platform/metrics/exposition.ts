// The Prometheus text format (version 0.0.4), written by hand: a few lines of `name{labels} value` under their HELP
// and TYPE, which is all a scraper needs and not worth a dependency.

export type Labels = Record<string, string>;
export type Sample = { suffix?: string; labels?: Labels; value: number };
export type MetricFamily = { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; samples: Sample[] };

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function render(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      const set = labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${family.name}${sample.suffix ?? ''}${set} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Upper bounds in seconds, from a fast cached page to a slow export. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

type Series = { labels: Labels; buckets: number[]; count: number; sum: number };

/** A histogram kept in memory: cumulative buckets, a count and a sum per label set. */
export function histogram(buckets: readonly number[] = LATENCY_BUCKETS) {
  const series = new Map<string, Series>();
  return {
    observe(labels: Labels, value: number) {
      const key = JSON.stringify(labels);
      let s = series.get(key);
      if (!s) series.set(key, (s = { labels, buckets: buckets.map(() => 0), count: 0, sum: 0 }));
      buckets.forEach((bound, i) => {
        if (value <= bound) s.buckets[i]!++;
      });
      s.count++;
      s.sum += value;
    },
    samples(): Sample[] {
      return [...series.values()].flatMap((s) => [
        ...buckets.map((bound, i) => ({ suffix: '_bucket', labels: { ...s.labels, le: String(bound) }, value: s.buckets[i]! })),
        { suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count },
        { suffix: '_sum', labels: s.labels, value: s.sum },
        { suffix: '_count', labels: s.labels, value: s.count },
      ]);
    },
  };
}

/** A counter per label set. */
export function counter() {
  const series = new Map<string, { labels: Labels; value: number }>();
  return {
    inc(labels: Labels) {
      const key = JSON.stringify(labels);
      const s = series.get(key);
      if (s) s.value++;
      else series.set(key, { labels, value: 1 });
    },
    samples: (): Sample[] => [...series.values()].map((s) => ({ labels: s.labels, value: s.value })),
  };
}
