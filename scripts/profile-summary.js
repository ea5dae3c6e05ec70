'use strict';
// Where a server's CPU goes, by layer: reads V8 CPU profiles (`BENCH_CPU_PROF=<folder> npm run bench`, or
// `node --cpu-prof`) and prints each layer's share of the busy (non-idle) samples as a Markdown table; with
// the server CPU per request that `npm run bench` measured for the same load, also in µs per request.
//   node scripts/profile-summary.js <file.cpuprofile> [µs per request] [label]
// Plain JavaScript: it reads JSON and needs nothing compiled.
const { readFileSync } = require('node:fs');

/** Self time is billed to the layer of the function that ran: npm packages by name, Gatehouse by folder. */
const LAYERS = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['V8 (program)', (f) => f.functionName === '(program)'],
  [
    'Fastify',
    (f) =>
      /node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify\/(?!websocket)|fast-json-stringify|secure-json-parse|toad-cache|fast-querystring|rfdc)\//.test(
        f.url,
      ),
  ],
  [
    'Apollo Server + its Fastify integration',
    (f) => /node_modules\/(@apollo|@as-integrations|negotiator|whatwg-mimetype|content-type|lru-cache)\//.test(f.url),
  ],
  ['graphql-js', (f) => /node_modules\/graphql\//.test(f.url)],
  ['type-graphql', (f) => /node_modules\/type-graphql\//.test(f.url)],
  ['pino (access log)', (f) => /node_modules\/(pino|sonic-boom|quick-format-unescaped|fast-redact|safe-stable-stringify)\//.test(f.url)],
  ['prom-client (metrics)', (f) => /node_modules\/prom-client\//.test(f.url)],
  ['MikroORM, knex, pg', (f) => /node_modules\/(@mikro-orm|knex|pg|pg-[a-z-]+|postgres-[a-z-]+|tarn|lodash)\//.test(f.url)],
  ['jsonwebtoken', (f) => /node_modules\/(jsonwebtoken|jws|jwa)\//.test(f.url)],
  ['async hooks (AsyncLocalStorage)', (f) => /^node:(internal\/)?async_hooks/.test(f.url)],
  ['module loading (start-up)', (f) => /^node:internal\/modules/.test(f.url) || f.functionName === 'wrapSafe'],
  ['Gatehouse: $1', (f) => /\/dist\/src\/([^/.]+)/.exec(f.url)],
  ['other packages: $1', (f) => /node_modules\/((@[^/]+\/)?[^/]+)\//.exec(f.url)],
  ['Node core and native (HTTP, sockets, streams, promises, crypto)', () => true],
];

function layerOf(frame) {
  for (const [name, test] of LAYERS) {
    const match = test(frame);
    if (match) return Array.isArray(match) ? name.replace('$1', match[1]) : name;
  }
}

/**
 * Busy time by layer, most first. `from`/`to` (µs of the monotonic clock, which V8's profile timestamps and
 * process.hrtime share on Linux) keep only the samples of a measured window, not start-up or warm-up.
 */
function summarise(file, from = -Infinity, to = Infinity) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byLayer = new Map();
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) return;
    const frame = nodes.get(id).callFrame;
    if (frame.functionName === '(idle)') return;
    const micros = profile.timeDeltas[i] ?? 0;
    const layer = layerOf(frame);
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + micros);
    busy += micros;
  });
  return { busy, layers: [...byLayer].sort((a, b) => b[1] - a[1]) };
}

/** The Markdown table of `summarise`, with µs per request when `micros` (server CPU per request) is given. */
function layerTable({ busy, layers }, micros) {
  const lines = [
    micros ? '| layer | share of busy samples | µs per request |' : '| layer | share of busy samples |',
    micros ? '|---|---:|---:|' : '|---|---:|',
  ];
  for (const [layer, time] of layers) {
    if (time / busy < 0.003) continue;
    const share = `${((100 * time) / busy).toFixed(1)}%`;
    lines.push(micros ? `| ${layer} | ${share} | ${((micros * time) / busy).toFixed(1)} |` : `| ${layer} | ${share} |`);
  }
  return lines.join('\n');
}

module.exports = { summarise, layerTable };

if (require.main === module) {
  const [file, perRequest, label = file] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node scripts/profile-summary.js <file.cpuprofile> [µs per request] [label]');
    process.exit(2);
  }
  const summary = summarise(file);
  console.log(`${label}: ${(summary.busy / 1e6).toFixed(1)} s of busy samples\n`);
  console.log(layerTable(summary, Number(perRequest) || undefined));
}
