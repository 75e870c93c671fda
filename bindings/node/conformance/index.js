'use strict'
// The conformance runner: vector files (shared/specs/{hpa,keda,vpa}.md) through the package's
// public API, reported as the Rust runner reports them: one line per failing (or disputed)
// vector, then `N passed, M failed` (`, K disputed` when there are any).

const fs = require('node:fs')
const path = require('node:path')
const { Mismatch, parseJson } = require('./check')
const hpa = require('./hpa')
const keda = require('./keda')
const vpa = require('./vpa')
const { DISPUTES } = require('./disputes')

/** Runs `fn`, returning null when the vector holds and the failure's text otherwise. */
function outcome(fn) {
  try {
    fn()
    return null
  } catch (e) {
    if (e instanceof Mismatch) return e.message
    // An error the package threw where the mapping expected none is the vector's failure;
    // anything else is reported with its class so a bug in the runner stands out.
    return `${e && e.name ? e.name : 'Error'}: ${e && e.message ? e.message : String(e)}`
  }
}

/** The vectors of a parsed file as `[id, run]` pairs, and file-level failures. */
function cases(label, doc) {
  const out = []
  const failures = []
  switch (doc.family) {
    case 'hpa':
      if (!Array.isArray(doc.vectors)) failures.push([label, 'no "vectors" array'])
      else
        doc.vectors.forEach((v, i) => {
          out.push([`${v.suite ?? '?'}/${v.name ?? `#${i}`}`, () => hpa.run(v)])
        })
      break
    case 'vpa':
      if (!Array.isArray(doc.vectors)) failures.push([label, 'no "vectors" array'])
      else doc.vectors.forEach((v, i) => out.push([v.id ?? `#${i}`, () => vpa.run(v)]))
      break
    case 'keda':
      for (const [suite, vectors] of Object.entries(doc)) {
        if (!Array.isArray(vectors)) continue
        if (!keda.SUITES.includes(suite)) {
          failures.push([`${label}:${suite}`, 'unknown suite'])
          continue
        }
        const counted = doc.counts?.[suite]
        if (typeof counted === 'number' && counted !== vectors.length) {
          failures.push([`${label}:${suite}`, `counts says ${counted} vectors, the suite has ${vectors.length}`])
        }
        vectors.forEach((v, i) => out.push([`${suite}/${v.id ?? `#${i}`}`, () => keda.run(suite, v)]))
      }
      break
    default:
      failures.push([label, `unknown vector family ${JSON.stringify(doc.family)}`])
  }
  return { cases: out, failures }
}

/** Runs every vector of the file at `file`; `{passed, failures, disputed}`. */
function runFile(file) {
  const label = path.basename(file)
  const report = { passed: 0, failures: [], disputed: [] }
  let doc
  try {
    doc = parseJson(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    report.failures.push([label, e.code ? `cannot read: ${e.message}` : `not JSON: ${e.message}`])
    return report
  }
  const found = cases(label, doc)
  report.failures.push(...found.failures)
  for (const [id, fn] of found.cases) {
    const detail = outcome(fn)
    const dispute = DISPUTES.find((d) => d.file === label && d.vector === id)
    if (detail === null && !dispute) report.passed++
    else if (detail === null) {
      report.failures.push([`${label}:${id}`, 'passes, but is listed as disputed: remove its entry from disputes.js'])
    } else if (dispute && dispute.detail === detail) {
      report.disputed.push([`${label}:${id}`, `${detail}; upstream's own code: ${dispute.evidence}`])
    } else {
      report.failures.push([`${label}:${id}`, detail])
    }
  }
  return report
}

/** The report's lines: disputes, failures, then the count line. */
function render(report) {
  const lines = []
  for (const [id, detail] of report.disputed) lines.push(`DISPUTED ${id}: ${detail}`)
  for (const [id, detail] of report.failures) lines.push(`FAIL ${id}: ${detail}`)
  let last = `${report.passed} passed, ${report.failures.length} failed`
  if (report.disputed.length > 0) last += `, ${report.disputed.length} disputed`
  lines.push(last)
  return lines.join('\n') + '\n'
}

/** Runs `files`; returns the process exit code after printing the report. */
function main(files, out = process.stdout) {
  if (files.length === 0) {
    process.stderr.write('usage: podscale-conformance FILE...\n')
    return 2
  }
  const total = { passed: 0, failures: [], disputed: [] }
  for (const file of files) {
    const r = runFile(file)
    total.passed += r.passed
    total.failures.push(...r.failures)
    total.disputed.push(...r.disputed)
  }
  out.write(render(total))
  return total.failures.length === 0 && total.passed > 0 ? 0 : 1
}

module.exports = { main, runFile, render }
