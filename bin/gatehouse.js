#!/usr/bin/env node
'use strict';
// `npx gatehouse <command>`: the operator CLI (src/cli.ts), run from dist/, which is compiled first only
// when it is missing or older than the sources.
require('../scripts/build.js').buildIfStale();
require('../dist/src/cli.js').runCliProcess();
