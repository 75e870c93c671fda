'use strict'
// Comparing what came out with what a vector expects, in the Rust runner's words:
// `what: expected X, got Y`.

/** A vector that does not hold: its message is the runner's failure line. */
class Mismatch extends Error {}

/** A JSON-ish rendering that keeps `undefined`, NaN and -0 visible. */
function show(value) {
  if (value === undefined) return 'undefined'
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  try {
    return JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))
  } catch {
    return String(value)
  }
}

function equal(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b
  if (Array.isArray(a) || ArrayBuffer.isView(a)) {
    if (!(Array.isArray(b) || ArrayBuffer.isView(b)) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false
    return true
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined)
    const kb = Object.keys(b).filter((k) => b[k] !== undefined)
    if (ka.length !== kb.length) return false
    return ka.every((k) => equal(a[k], b[k]))
  }
  return a === b
}

/** Throws a Mismatch unless `got` equals `expected` (deeply; numbers exactly). */
function check(what, expected, got) {
  if (!equal(expected, got)) throw new Mismatch(`${what}: expected ${show(expected)}, got ${show(got)}`)
}

/** The field `key` of `v`, which must be present. */
function field(v, key) {
  if (v === null || typeof v !== 'object' || !(key in v)) throw new Mismatch(`missing field ${JSON.stringify(key)}`)
  return v[key]
}

/** Vector times are whole seconds; the package reads Unix milliseconds. */
function ms(seconds) {
  return seconds === null || seconds === undefined ? seconds : seconds * 1000
}

const BIG = '\u0000bigint:'

/**
 * Parses vector JSON, reading integers beyond 2^53 as BigInt: the vectors carry int64
 * extremes (overflow tests) that a double cannot hold.
 */
function parseJson(text) {
  let out = ''
  let last = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') {
      inString = true
      continue
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1
      while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++
      const token = text.slice(i, j)
      if (/^-?[0-9]+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += text.slice(last, i) + JSON.stringify(BIG + token)
        last = j
      }
      i = j - 1
    }
  }
  out += text.slice(last)
  return JSON.parse(out, (_, v) => (typeof v === 'string' && v.startsWith(BIG) ? BigInt(v.slice(BIG.length)) : v))
}

/** A quantity the package wrote (`'1500m'`, `'2'`) as exact milli-units. */
function milliOf(text) {
  return text.endsWith('m') ? BigInt(text.slice(0, -1)) : BigInt(text) * 1000n
}

/** A vector integer (number or BigInt) as a BigInt, for exact comparisons. */
function big(v) {
  return typeof v === 'bigint' ? v : BigInt(v)
}

/** A milli-unit amount as quantity text, as a manifest writes it. */
function milli(value) {
  return `${value}m`
}

/** `{cpu: 200}` milli-units as a resource list of quantity text. */
function quantities(map) {
  const out = {}
  for (const [name, value] of Object.entries(map ?? {})) out[name] = milli(value)
  return out
}

module.exports = { Mismatch, big, check, equal, field, milli, milliOf, ms, parseJson, quantities, show }
