'use strict'
// Expected values in the shared vector files that upstream's own code contradicts, as the Rust
// runner lists them (tests/src/disputes.rs). A disputed vector is reported as disputed, never
// passed; if it passes, or fails in any other way, the entry is stale and the run fails.

const DISPUTES = [
  {
    file: 'vpa.json',
    vector: 'conv/resources_as_resource_list',
    detail: 'case 6 memory_value_bytes_ceil: expected 839494370, got 839500432',
    evidence:
      'ResourcesAsResourceList(memory 839500000, humanize) is "800.61Mi" = 800.61 x 2^20 = ' +
      '839500431.36 bytes, whose Quantity.Value() is 839500432 (vertical-pod-autoscaler v1.8.1 ' +
      'with apimachinery v0.37.2, run by the vpa_resources_as_resource_list op of tests/upstream); ' +
      "the vector's note multiplied wrongly",
  },
]

module.exports = { DISPUTES }
