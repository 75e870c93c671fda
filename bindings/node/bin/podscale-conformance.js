#!/usr/bin/env node
'use strict'
// `podscale-conformance FILE...`: runs conformance vector files through the package's public
// API; one line per failing vector, then `N passed, M failed`; non-zero exit on any failure.

process.exitCode = require('../conformance').main(process.argv.slice(2))
