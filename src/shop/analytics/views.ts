import { html, type Html } from '../../platform/http/html.ts';
import type { AnalyticsReport, DailyCount, Ranked } from './service.ts';

// Charts drawn on the server as SVG: no script, nothing fetched from elsewhere, readable by a screen reader through
// each chart's title and the table beside it.

const WIDTH = 640;

function dailyChart(days: DailyCount[]): Html {
  const height = 160;
  const top = Math.max(1, ...days.map((d) => d.views));
  const slot = WIDTH / days.length;
  const bar = (value: number) => Math.round((value / top) * (height - 20));
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height + 20}" role="img" aria-labelledby="daily-title">
  <title id="daily-title">Page views (light) and visits (dark) per day</title>
  ${days.map((d, i) => {
    const x = Math.round(i * slot + slot * 0.15);
    const w = Math.round(slot * 0.7);
    return html`<g><rect x="${x}" y="${height - bar(d.views)}" width="${w}" height="${bar(d.views)}" fill="#c9b8d8"><title>${d.day}: ${d.views} views</title></rect>
    <rect x="${x + Math.round(w / 4)}" y="${height - bar(d.visits)}" width="${Math.round(w / 2)}" height="${bar(d.visits)}" fill="#5b2a86"><title>${d.day}: ${d.visits} visits</title></rect>
    <text x="${x + w / 2}" y="${height + 14}" font-size="10" text-anchor="middle">${d.day.slice(8)}</text></g>`;
  })}
</svg>`;
}

function barList(id: string, title: string, rows: Ranked[]): Html {
  if (rows.length === 0) return html`<p>Nothing recorded in this period.</p>`;
  const rowHeight = 24;
  const top = Math.max(1, ...rows.map((r) => r.views));
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${rows.length * rowHeight}" role="img" aria-labelledby="${id}">
  <title id="${id}">${title}</title>
  ${rows.map(
    (r, i) => html`<g><rect x="0" y="${i * rowHeight + 3}" width="${Math.max(2, Math.round((r.views / top) * (WIDTH * 0.55)))}" height="${rowHeight - 6}" fill="#5b2a86"></rect>
    <text x="${Math.round(WIDTH * 0.57)}" y="${i * rowHeight + 16}" font-size="12">${r.label} (${r.views})</text></g>`,
  )}
</svg>`;
}

export function analyticsPage(report: AnalyticsReport): Html {
  const { funnel } = report;
  const total = report.days.reduce((sum, d) => ({ visits: sum.visits + d.visits, views: sum.views + d.views }), { visits: 0, views: 0 });
  return html`<section class="analytics">
  <h1>Browsing analytics</h1>
  <p>From ${report.from} to ${report.to}: ${total.visits} visits, ${total.views} page views. Only visitors who allowed
  performance cookies are counted, by a key that changes every day; nobody can be followed from one day to the next.</p>
  <h2>Visits and views per day</h2>
  ${dailyChart(report.days)}
  <h2>Conversion</h2>
  ${barList('funnel-title', 'Visits that viewed a product, then added to the cart, then ordered', [
    { label: 'Viewed a product', views: funnel.viewed },
    { label: 'Added to the cart', views: funnel.addedToCart },
    { label: 'Ordered', views: funnel.ordered },
  ])}
  <h2>Top pages</h2>
  ${barList('pages-title', 'Most viewed pages', report.topPages)}
  <h2>Top products</h2>
  ${barList('products-title', 'Most viewed products', report.topProducts)}
  <h2>Referring sites</h2>
  ${barList('referrers-title', 'Sites visitors came from', report.referrers)}
</section>`;
}
