'use strict';
// The V8 flags the server runs with: `npm start` and `npm run dev` pass them (`node $(node scripts/node-flags.js) …`
// prints them for the shell), and the bench passes them as NODE_OPTIONS (scripts/bench/settings.ts), so the
// bench measures the server as it is run. Started another way, pass the same in NODE_OPTIONS.
//   --max-semi-space-size=4   a 4 MB young-generation semi-space instead of 16 MB
//   --max-old-space-size=512  a 512 MB heap limit, which also makes V8 collect the old generation before it
//                             grows to several times its live size
// Together they keep RSS under load at about half of what the defaults reach, at the same throughput
// (docs/OPERATIONS.md, Memory). Plain JavaScript: it runs before anything is compiled.
const NODE_FLAGS = Object.freeze(['--max-semi-space-size=4', '--max-old-space-size=512']);

module.exports = { NODE_FLAGS };

if (require.main === module) console.log(NODE_FLAGS.join(' '));
