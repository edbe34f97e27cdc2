// The table of `npm run bench` as a small SVG chart, written by hand (no dependency): one bar per scenario and engine,
// its length the share of the hello-world baseline's requests per second, then the targets met and not met.

export type Bar = { scenario: string; engine: string; ratio: number; label: string };
export type Target = { text: string; met: boolean };

const ENGINE_COLOURS: Record<string, string> = { PGlite: '#4878a8', PostgreSQL: '#5a9a5a' };
const WIDTH = 760;
const LABEL_W = 190;
const BAR_W = 400;
const BAR_H = 12;
const ROW_GAP = 4;
const GROUP_GAP = 10;
const LINE_H = 18;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function chartSvg(title: string, bars: readonly Bar[], targets: readonly Target[]): string {
  const scenarios = [...new Set(bars.map((b) => b.scenario))];
  const engines = [...new Set(bars.map((b) => b.engine))];
  const parts: string[] = [];
  let y = 48;
  for (const scenario of scenarios) {
    const group = bars.filter((b) => b.scenario === scenario);
    parts.push(`<text x="${LABEL_W - 8}" y="${y + BAR_H}" text-anchor="end">${escape(scenario)}</text>`);
    for (const bar of group) {
      const w = Math.max(1, Math.round(Math.min(bar.ratio, 1) * BAR_W));
      parts.push(
        `<rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" fill="${ENGINE_COLOURS[bar.engine] ?? '#888'}"><title>${escape(`${scenario} · ${bar.engine}: ${bar.label}`)}</title></rect>`,
        `<text x="${LABEL_W + w + 6}" y="${y + BAR_H - 2}" class="small">${escape(`${bar.ratio.toFixed(2)}× · ${bar.label}`)}</text>`,
      );
      y += BAR_H + ROW_GAP;
    }
    y += GROUP_GAP;
  }
  const axisBottom = y;
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const x = LABEL_W + tick * BAR_W;
    parts.push(`<line x1="${x}" y1="40" x2="${x}" y2="${axisBottom}" stroke="#ddd"/>`, `<text x="${x}" y="${axisBottom + 14}" text-anchor="middle" class="small">${tick}×</text>`);
  }
  y = axisBottom + 40;
  parts.push(`<text x="16" y="${y}" font-weight="bold">Targets</text>`);
  for (const target of targets) {
    y += LINE_H;
    parts.push(`<text x="24" y="${y}" fill="${target.met ? '#2a7a2a' : '#b03030'}">${target.met ? '✔ met' : '✘ not met'} · ${escape(target.text)}</text>`);
  }
  const legend = engines.map((engine, i) => `<rect x="${LABEL_W + i * 120}" y="22" width="12" height="12" fill="${ENGINE_COLOURS[engine] ?? '#888'}"/><text x="${LABEL_W + i * 120 + 16}" y="32" class="small">${escape(engine)}</text>`);
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.small { font-size: 10px; fill: #444 }</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="16" font-weight="bold">${escape(title)}</text>`,
    ...legend,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
