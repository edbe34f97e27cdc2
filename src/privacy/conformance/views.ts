import { html, type Html } from '../../platform/http/html.ts';
import { failingClauses, type ConformanceRun } from './service.ts';

// The privacy officer's conformance page: the latest run clause by clause with its evidence, a button to run it
// again, and the history of runs as a chart (SVG drawn on the server, no script) with the same figures in a table.

const when = (at: Date) => at.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const TRIGGER_WORDS: Record<ConformanceRun['trigger'], string> = { cli: 'command line', web: 'back office' };

function latestRun(run: ConformanceRun): Html {
  return html`<h2>Latest run</h2>
  <p role="status"><strong>${run.failed === 0 ? `All ${run.results.length} clauses pass.` : `${run.failed} of ${run.results.length} clauses fail: ${failingClauses(run).join(', ')}.`}</strong>
  Run ${run.id}, ${when(run.ranAt)}, from the ${TRIGGER_WORDS[run.trigger]}.</p>
  <table class="conformance">
    <thead><tr><th scope="col">Clause</th><th scope="col">Result</th><th scope="col">Promise</th><th scope="col">Evidence</th></tr></thead>
    <tbody>${run.results.map(
      (r) => html`<tr class="${r.passed ? 'pass' : 'fail'}"><th scope="row">${r.clause}</th><td><strong>${r.passed ? 'pass' : 'FAIL'}</strong></td>
      <td><strong>${r.topic}</strong><br>${r.promise}</td><td><ul>${r.evidence.map((e) => html`<li>${e}</li>`)}</ul></td></tr>`,
    )}</tbody>
  </table>`;
}

const CHART = { width: 640, height: 160, bottom: 20 };

/** Failing clauses per run, oldest on the left; the table after it carries the same figures. */
function failureChart(runs: readonly ConformanceRun[]): Html {
  const oldestFirst = [...runs].reverse();
  const top = Math.max(1, ...oldestFirst.map((r) => r.results.length));
  const slot = CHART.width / Math.max(oldestFirst.length, 1);
  const barHeight = (failed: number) => Math.round((failed / top) * CHART.height);
  const worst = Math.max(...oldestFirst.map((r) => r.failed));
  return html`<svg class="chart" viewBox="0 0 ${CHART.width} ${CHART.height + CHART.bottom}" role="img" aria-labelledby="failures-title failures-desc">
  <title id="failures-title">Failing clauses per run</title>
  <desc id="failures-desc">${oldestFirst.length} runs from ${when(oldestFirst[0]!.ranAt)} to ${when(oldestFirst.at(-1)!.ranAt)}; at most ${worst} of ${top} clauses failed in one run. The table below lists every run.</desc>
  <line x1="0" y1="${CHART.height}" x2="${CHART.width}" y2="${CHART.height}" stroke="#8a7f82"></line>
  ${oldestFirst.map((r, i) => {
    const x = Math.round(i * slot + slot * 0.15);
    const w = Math.max(2, Math.round(slot * 0.7));
    return html`<g><rect x="${x}" y="${CHART.height - barHeight(r.failed)}" width="${w}" height="${barHeight(r.failed)}" fill="#b3261e"><title>Run ${r.id}, ${when(r.ranAt)}: ${r.failed} failing</title></rect>
    <text x="${x + w / 2}" y="${CHART.height + 14}" font-size="10" text-anchor="middle">${r.failed}</text></g>`;
  })}
</svg>`;
}

function history(runs: readonly ConformanceRun[]): Html {
  return html`<h2>History</h2>
  ${failureChart(runs)}
  <table>
    <caption>The last ${runs.length} runs, newest first</caption>
    <thead><tr><th scope="col">Run</th><th scope="col">When</th><th scope="col">From</th><th scope="col">Passing</th><th scope="col">Failing</th><th scope="col">Failing clauses</th></tr></thead>
    <tbody>${runs.map(
      (r) => html`<tr><td>${r.id}</td><td>${when(r.ranAt)}</td><td>${TRIGGER_WORDS[r.trigger]}</td><td>${r.passed}</td><td>${r.failed}</td><td>${failingClauses(r).join(', ') || '—'}</td></tr>`,
    )}</tbody>
  </table>`;
}

export function conformancePage(runs: readonly ConformanceRun[], csrf: Html): Html {
  const [latest] = runs;
  return html`<section class="admin conformance-report">
  <h1>Conformance report</h1>
  <p>Each clause of the privacy policies, checked against the live database: evidence is counts and ids, never anyone’s data. Also <code>pledge conformance</code> on the command line.</p>
  <form method="post" action="/admin/conformance/run">${csrf}<button type="submit">Run now</button></form>
  ${latest ? html`${latestRun(latest)}${history(runs)}` : html`<p>No run yet.</p>`}
</section>`;
}
