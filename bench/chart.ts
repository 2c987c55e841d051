import { BenchResults, Contender, CONTENDER_LABELS, CONTENDERS } from './results';
import { machineLine } from './machine';

const WIDTH = 760;
const HEIGHT = 500;
const MARGIN = { left: 78, right: 44, top: 58, bottom: 118 };
const COLORS: Record<Contender, string> = {
  service: '#1f77b4',
  plain: '#9467bd',
  floor: '#2ca02c',
  langflow: '#d62728',
};
const DASHES: Record<Contender, string> = {
  service: '',
  plain: '8 3 2 3',
  floor: '6 4',
  langflow: '2 3',
};

/** A log-log line chart of median rename latency against session size, as standalone SVG. */
export function renderLatencyChart(results: BenchResults): string {
  const points = CONTENDERS.map((contender) => ({
    contender,
    values: results.sizes
      .filter((entry) => entry[contender] !== undefined)
      .map((entry) => ({ size: entry.size, ms: entry[contender]!.median })),
  }));
  const all = points.flatMap((line) => line.values);
  const sizes = results.sizes.map((entry) => entry.size);
  const xMin = Math.log10(Math.min(...sizes));
  const xMax = Math.log10(Math.max(...sizes));
  const yMin = Math.floor(Math.log10(Math.min(...all.map((p) => p.ms))));
  const yMax = Math.ceil(Math.log10(Math.max(...all.map((p) => p.ms))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (size: number) =>
    MARGIN.left + ((Math.log10(size) - xMin) / Math.max(xMax - xMin, 1e-9)) * plotWidth;
  const y = (ms: number) =>
    MARGIN.top + plotHeight - ((Math.log10(ms) - yMin) / Math.max(yMax - yMin, 1)) * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  const database = results.database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  parts.push(
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">Session rename: median latency vs session size (${database}, log-log)</text>`,
  );

  for (let decade = yMin; decade <= yMax; decade += 1) {
    const value = 10 ** decade;
    const py = y(value).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="#e0e0e0"/>`,
    );
    parts.push(
      `<text x="${MARGIN.left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${formatMs(value)}</text>`,
    );
  }
  for (const size of sizes) {
    const px = x(size).toFixed(1);
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#e0e0e0"/>`,
    );
    parts.push(
      `<text x="${px}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${size.toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#555"/>`,
  );
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 38}" text-anchor="middle">messages in the session</text>`,
  );
  parts.push(
    `<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">median rename time</text>`,
  );

  for (const line of points) {
    if (line.values.length === 0) {
      continue;
    }
    const color = COLORS[line.contender];
    const path = line.values
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.size).toFixed(1)} ${y(p.ms).toFixed(1)}`)
      .join(' ');
    const dash = DASHES[line.contender] ? ` stroke-dasharray="${DASHES[line.contender]}"` : '';
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2.5"${dash}/>`);
    for (const p of line.values) {
      parts.push(
        `<circle cx="${x(p.size).toFixed(1)}" cy="${y(p.ms).toFixed(1)}" r="3.5" fill="${color}"><title>${CONTENDER_LABELS[line.contender]}: ${p.size.toLocaleString('en-US')} messages, ${formatMs(p.ms)}</title></circle>`,
      );
    }
  }

  // Legend, top left inside the plot (latency rises to the right, so that corner stays free).
  // Only contenders with points: results from before the plain server have none for it.
  const drawn = points.filter((line) => line.values.length > 0).map((line) => line.contender);
  drawn.forEach((contender, index) => {
    const ly = MARGIN.top + 18 + index * 18;
    const lx = MARGIN.left + 14;
    const dash = DASHES[contender] ? ` stroke-dasharray="${DASHES[contender]}"` : '';
    parts.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${COLORS[contender]}" stroke-width="2.5"${dash}/>`,
    );
    parts.push(
      `<text x="${lx + 36}" y="${ly}" dominant-baseline="middle">${escapeXml(CONTENDER_LABELS[contender])}</text>`,
    );
  });

  const footer = [
    machineLine(results.machine),
    `${results.mode} run, ${results.startedAt}; median of at least 5 runs per point; load average ${results.machine.loadAverage.start} at start`,
  ];
  footer.forEach((text, index) => {
    parts.push(
      `<text x="${WIDTH / 2}" y="${HEIGHT - 40 + index * 16}" text-anchor="middle" fill="#444" font-size="11">${escapeXml(text)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function formatMs(ms: number): string {
  if (ms >= 1000) {
    return `${Number((ms / 1000).toPrecision(3))} s`;
  }
  if (ms >= 1) {
    return `${Number(ms.toPrecision(3))} ms`;
  }
  return `${Number((ms * 1000).toPrecision(3))} µs`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
