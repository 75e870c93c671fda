'use strict'
// fast-check's seed for the property tests: fixed, so a CI run is reproducible; set
// PODSCALE_FC_SEED (a number, or `random`) to explore further.

const fc = require('fast-check')

const given = process.env.PODSCALE_FC_SEED
if (given !== 'random') fc.configureGlobal({ seed: given === undefined ? 20_261_128 : Number(given) })
