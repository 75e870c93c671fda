// The ECMAScript-module entry exports every name the CommonJS one does.

import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as esm from '../index.mjs'

const require = createRequire(import.meta.url)

test('index.mjs names every export of index.js', () => {
  const cjs = require('../index.js')
  const names = Object.keys(cjs).filter((n) => !n.startsWith('__')).sort()
  assert.deepEqual(Object.keys(esm).filter((n) => n !== 'default').sort(), names)
  for (const n of names) assert.equal(esm[n], cjs[n], n)
  assert.ok(new esm.ValidationError('x') instanceof esm.PodscaleError)
})
