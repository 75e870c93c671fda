'use strict'
// Every vector file of the repository (tests/vectors) through the package's public API, by
// the package's own `podscale-conformance` command, with the runner's contract.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const VECTORS = path.join(__dirname, '..', '..', '..', 'tests', 'vectors')
const BIN = path.join(__dirname, '..', 'bin', 'podscale-conformance.js')

const files = fs
  .readdirSync(VECTORS)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => path.join(VECTORS, f))

test('every vector file passes, with the one disputed vpa.json vector reported as disputed', () => {
  assert.ok(files.length >= 3, `vector files in ${VECTORS}`)
  const run = spawnSync(process.execPath, [BIN, ...files], { encoding: 'utf8' })
  const lines = run.stdout.trimEnd().split('\n')
  const last = lines[lines.length - 1]
  assert.match(last, /^\d+ passed, 0 failed, 1 disputed$/, run.stdout + run.stderr)
  assert.equal(run.status, 0, run.stdout + run.stderr)
  assert.ok(Number(last.split(' ')[0]) >= 500, last)
  assert.deepEqual(
    lines.filter((l) => l.startsWith('DISPUTED')).map((l) => l.split(':')[0] + ':' + l.split(':')[1]),
    ['DISPUTED vpa.json:conv/resources_as_resource_list'],
  )
})

test('each family file alone', () => {
  for (const name of ['hpa.json', 'keda.json', 'vpa.json']) {
    const run = spawnSync(process.execPath, [BIN, path.join(VECTORS, name)], { encoding: 'utf8' })
    assert.match(run.stdout, /\d+ passed, 0 failed/, name)
    assert.equal(run.status, 0, `${name}: ${run.stdout}`)
  }
})

test('a failing vector is one line, counted, with a non-zero exit', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'podscale-'))
  const file = path.join(dir, 'bad.json')
  const vector = {
    suite: 'legacy_limits',
    name: 'wrong on purpose',
    input: { current_replicas: 3, desired_replicas: 1, min_replicas: 2, max_replicas: 8, scale_up_limit_factor: 2, scale_up_limit_minimum: 4 },
    expect: { replicas: 3, reason: 'TooFewReplicas' },
  }
  fs.writeFileSync(file, JSON.stringify({ family: 'hpa', vectors: [vector] }))
  const run = spawnSync(process.execPath, [BIN, file], { encoding: 'utf8' })
  assert.equal(run.status, 1)
  assert.equal(run.stdout, 'FAIL bad.json:legacy_limits/wrong on purpose: replicas: expected 3, got 2\n0 passed, 1 failed\n')
})

test('no files is a usage error', () => {
  const run = spawnSync(process.execPath, [BIN], { encoding: 'utf8' })
  assert.equal(run.status, 2)
  assert.match(run.stderr, /usage: podscale-conformance FILE/)
})
