'use strict';
// The V8 flags the server runs with: `npm start` and `npm run dev` pass them (`node $(node scripts/node-flags.js) …`
// prints them for the shell), and the bench passes them as NODE_OPTIONS (scripts/bench/settings.ts), so the
// bench measures the server as it is run. Started another way, pass the same in NODE_OPTIONS.
//   --max-semi-space-size=16  a 16 MB young-generation semi-space, stated so as not to depend on V8's default.
//                             It was 4 MB, for a smaller RSS, but that cost throughput: with 32 requests in
//                             flight, a small semi-space is scavenged several times per request's lifetime,
//                             copying and promoting what is still in use. `me` measured (interleaved bursts,
//                             server on one core): 4 MB 184.6 us of CPU per request, 8 MB 138.5, 16 MB 139.5;
//                             RSS under that load 132, 142 and 154 MB.
//   --max-old-space-size=512  a 512 MB heap limit, which also makes V8 collect the old generation before it
//                             grows to several times its live size
// Together they keep RSS under load well under what V8's defaults reach (docs/OPERATIONS.md, Memory).
// One more V8 setting, --no-allocation-site-pretenuring, is set by the server itself (src/main.ts, serve):
// NODE_OPTIONS refuses it, and it must hold however the server is started.
// Plain JavaScript: it runs before anything is compiled.
const NODE_FLAGS = Object.freeze(['--max-semi-space-size=16', '--max-old-space-size=512']);

module.exports = { NODE_FLAGS };

if (require.main === module) console.log(NODE_FLAGS.join(' '));
