'use strict'
// The `keda` family through the package's public API: cron schedules, the cron trigger's
// window, ScaledObject poll sequences (with the idealised HPA of the spec's section 6.2), and
// the HPA KEDA generates.

const podscale = require('..')
const { Mismatch, check, field } = require('./check')

const SUITES = [
  'cron_next',
  'cron_parse_errors',
  'cron_window',
  'trigger_metadata_validation',
  'scaledobject_sequences',
  'hpa_and_bounds',
]

/** An RFC 3339 instant of a vector (or null) as Unix milliseconds. */
function instant(text) {
  return text === null || text === undefined ? null : podscale.toUnixMs(text)
}

/** Runs `fn`; a PodscaleError becomes the vector's failure rather than the runner's. */
function api(fn) {
  try {
    return fn()
  } catch (e) {
    if (e instanceof podscale.PodscaleError) throw new Mismatch(e.message)
    throw e
  }
}

function cronNext(v) {
  const schedule = api(() => new podscale.CronSchedule(v.expr))
  check('next', instant(v.expected_next), api(() => schedule.nextAfter(v.from, v.tz)))
}

function cronParseError(v) {
  let error
  try {
    new podscale.CronSchedule(v.expr)
  } catch (e) {
    if (!(e instanceof podscale.ValidationError)) throw e
    error = e
  }
  if (!error) throw new Mismatch(`expected the error ${JSON.stringify(v.expected_error)}, the expression parsed`)
  // robfig panics on a prefix without a space; the vector describes the panic, the package
  // refuses the expression.
  if (v.expected_error.startsWith('robfig panics')) return
  check('error', v.expected_error, error.detail)
}

function cronWindow(v) {
  const t = field(v, 'trigger')
  const expected = field(v, 'expected')
  const metadata = { timezone: t.timezone, start: t.start, end: t.end, desiredReplicas: t.desiredReplicas }
  let trigger
  try {
    trigger = new podscale.CronTrigger(metadata, { index: t.triggerIndex, windowMode: t.windowMode })
  } catch (e) {
    if (!(e instanceof podscale.ValidationError)) throw e
    if (expected.valid) throw new Mismatch(`expected a valid trigger, got: ${e.message}`)
    // The vectors record the validation error KEDA wraps as `error parsing cron metadata: %w`.
    check('error', expected.error, e.detail.replace(/^error parsing cron metadata: /, ''))
    return
  }
  if (!expected.valid) throw new Mismatch(`expected the error ${JSON.stringify(expected.error)}, the trigger was accepted`)
  // Upstream's vectors carry every field; podscale's civil-mode vectors only those they pin.
  const optional = (key) => t.windowMode !== undefined && !(key in expected)
  if (!optional('metric_name')) check('metric_name', expected.metric_name, trigger.metricName)
  const legacy = v.legacy?.metric_name_before_v2_20
  if (legacy !== undefined) {
    const before = new podscale.CronTrigger(metadata, {
      index: t.triggerIndex,
      windowMode: t.windowMode,
      metricNameForm: 'BeforeV2_20',
    })
    check('legacy metric_name', legacy, before.metricName)
  }
  let activity
  try {
    activity = trigger.evaluate(v.now)
  } catch (e) {
    if (!(e instanceof podscale.PodscaleError)) throw e
    check('runtime_error', expected.runtime_error, e.detail)
    return
  }
  check('active', expected.active, activity.active)
  check('metric_value', expected.metric_value, activity.metricValue)
  for (const [key, got] of [
    ['next_start', activity.nextStart],
    ['next_end', activity.nextEnd],
  ]) {
    if (!optional(key)) check(key, instant(expected[key]), got ?? null)
  }
}

function metadataValidation(v) {
  const expected = field(v, 'expected')
  let error
  try {
    new podscale.CronTrigger(v.metadata)
  } catch (e) {
    if (!(e instanceof podscale.ValidationError)) throw e
    error = e
  }
  if (!error && expected.valid) return
  if (!error) throw new Mismatch('expected an error, the metadata was accepted')
  if (expected.valid) throw new Mismatch(`expected valid metadata, got: ${error.message}`)
  for (const want of expected.error_contains) {
    if (!error.detail.includes(want)) throw new Mismatch(`error ${JSON.stringify(error.detail)} does not contain ${JSON.stringify(want)}`)
  }
}

/** A vector's flattened ScaledObject as a manifest (`metadata` and `spec`). */
function manifest(so) {
  const metadata = {}
  if (so.name !== undefined && so.name !== null) metadata.name = so.name
  if (so.annotations) metadata.annotations = so.annotations
  if (so.creationTimestamp) metadata.creationTimestamp = so.creationTimestamp
  const spec = {}
  for (const key of [
    'pollingInterval',
    'initialCooldownPeriod',
    'cooldownPeriod',
    'idleReplicaCount',
    'minReplicaCount',
    'maxReplicaCount',
    'advanced',
    'fallback',
  ]) {
    if (so[key] !== undefined && so[key] !== null) spec[key] = so[key]
  }
  spec.triggers = (so.triggers ?? []).map((t) => {
    const trigger = { type: t.type, metadata: t.metadata ?? {} }
    for (const key of ['name', 'useCachedMetrics', 'metricType']) if (t[key] !== undefined) trigger[key] = t[key]
    return trigger
  })
  return { metadata, spec }
}

/**
 * The idealised HPA of the spec's section 6.2, one evaluation at an observation instant: the
 * largest `ceil(metric / target)` of the triggers that did not fail, within the HPA's bounds;
 * never below the current count while a trigger fails; paused-scale-in/out forbid decreases
 * and increases.
 */
function idealHpa(bounds, annotations, replicas, observations, targets) {
  if (replicas < 1) return replicas
  const proposals = observations.filter((o) => !o.error).map((o, i) => Math.ceil(o.metric / targets[i]))
  if (proposals.length === 0) return replicas
  let desired = Math.min(Math.max(Math.max(...proposals), bounds.minReplicas), bounds.maxReplicas)
  const flag = (name) => annotations[`autoscaling.keda.sh/${name}`] === 'true'
  if (observations.some((o) => o.error) || flag('paused-scale-in')) desired = Math.max(desired, replicas)
  if (flag('paused-scale-out')) desired = Math.min(desired, replicas)
  return desired
}

function sequence(v) {
  const json = field(v, 'scaledObject')
  const so = api(() => new podscale.ScaledObject(manifest(json)))
  const targets = json.triggers.map((t) => t.hpaTargetAverageValue)
  if (v.hpa_model !== 'ideal') throw new Mismatch(`unknown hpa_model ${JSON.stringify(v.hpa_model)}`)
  const bounds = so.hpaBounds()
  const annotations = json.annotations ?? {}
  let replicas = v.initial.replicas
  const state = new podscale.ScaledObjectState({ lastActiveTime: v.initial.lastActiveTime ?? undefined })
  let condition = null
  check('number of expected entries', v.observations.length, v.expected.length)
  v.observations.forEach((obs, i) => {
    const exp = v.expected[i]
    const at = (fn) => {
      try {
        fn()
      } catch (e) {
        if (e instanceof Mismatch) throw new Mismatch(`at ${obs.t}: ${e.message}`)
        throw e
      }
    }
    at(() => check('t', instant(obs.t), instant(exp.t)))
    const seen = obs.triggers.map((o) => ({ active: o.active, metric: o.metric, error: o.error ?? false }))
    const poll = api(() => so.poll(state, seen, { replicas, now: obs.t }))
    const action = poll.action ? [poll.action.kind, poll.action.scaleFrom, poll.action.scaleTo] : null
    const want = exp.keda_action ? [exp.keda_action.kind, exp.keda_action.scale_from, exp.keda_action.scale_to] : null
    at(() => check('keda_action', want, action))
    // A paused poll leaves the Active condition as it was.
    if (poll.active !== null && poll.active !== undefined) condition = poll.active
    at(() => check('active_condition', exp.active_condition, condition))
    at(() => check('last_active_time', instant(exp.last_active_time), state.lastActiveTime ?? null))
    if (poll.action && poll.action.written) replicas = poll.action.scaleTo
    if (poll.paused) {
      // KEDA deletes the HPA of a paused ScaledObject and holds the target at
      // `paused-replicas` when given (spec 5.8).
      replicas = so.pausedReplicas ?? replicas
    } else {
      replicas = idealHpa(bounds, annotations, replicas, seen, targets)
    }
    at(() => check('replicas_after', exp.replicas_after, replicas))
  })
}

function hpaAndBounds(v) {
  const input = field(v, 'input')
  const expected = field(v, 'expected')
  const so = api(() => new podscale.ScaledObject(manifest(input)))
  for (const [key, want] of Object.entries(expected)) {
    switch (key) {
      case 'hpaMinReplicas':
        check(key, want, so.hpaBounds().minReplicas)
        break
      case 'hpaMaxReplicas':
        check(key, want, so.hpaBounds().maxReplicas)
        break
      case 'hpaName':
        check(key, want, api(() => so.hpaName()))
        break
      case 'hpaMetrics':
        check(key, want, api(() => so.generatedHpa()).metrics)
        break
      case 'valid': {
        let error = null
        try {
          so.validate()
        } catch (e) {
          if (!(e instanceof podscale.PodscaleError)) throw e
          error = e
        }
        if (want && error) throw new Mismatch(`expected valid, got error ${error.message}`)
        if (!want && !error) throw new Mismatch('expected an error, the ScaledObject is valid')
        if (!want) {
          if (typeof expected.error === 'string') check('error', expected.error, error.detail)
          if (typeof expected.error_contains === 'string' && !error.detail.includes(expected.error_contains)) {
            throw new Mismatch(`error ${JSON.stringify(error.detail)} does not contain ${JSON.stringify(expected.error_contains)}`)
          }
        }
        break
      }
      case 'error':
      case 'error_contains':
        if (!('valid' in expected)) throw new Mismatch(`expected.${key} without expected.valid`)
        break
      default:
        throw new Mismatch(`unknown expectation ${JSON.stringify(key)}`)
    }
  }
}

const RUN = {
  cron_next: cronNext,
  cron_parse_errors: cronParseError,
  cron_window: cronWindow,
  trigger_metadata_validation: metadataValidation,
  scaledobject_sequences: sequence,
  hpa_and_bounds: hpaAndBounds,
}

/** Runs one vector of `suite`; throws a Mismatch when it does not hold. */
function run(suite, vector) {
  const fn = RUN[suite]
  if (!fn) throw new Mismatch(`keda suite ${JSON.stringify(suite)} is not implemented`)
  fn(vector)
}

module.exports = { SUITES, run }
