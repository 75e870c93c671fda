'use strict'
// Bad input is a ValidationError naming the field path and the caller's own bad value; a
// decision the core refuses is a PodscaleError; nothing crashes the process.

const test = require('node:test')
const assert = require('node:assert/strict')
const fc = require('fast-check')
require('./seed')
const podscale = require('..')

const spec = {
  scaleTargetRef: { kind: 'Deployment', name: 'web' },
  minReplicas: 1,
  maxReplicas: 10,
  metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
}

function thrown(fn) {
  try {
    fn()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

test('the error classes are Error subclasses', () => {
  const e = thrown(() => new podscale.HorizontalPodAutoscaler({ ...spec, maxReplicas: 'ten' }))
  assert.ok(e instanceof podscale.ValidationError)
  assert.ok(e instanceof podscale.PodscaleError)
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'ValidationError')
  assert.equal(e.kind, 'Validation')
  assert.equal(e.code, 'PODSCALE_VALIDATION')
  assert.ok(typeof e.stack === 'string' && e.stack.includes('ValidationError'))
})

test('a mistyped field names its path and gives the caller value back', () => {
  const e = thrown(() => new podscale.HorizontalPodAutoscaler({ ...spec, maxReplicas: 'ten' }))
  assert.equal(e.path, 'maxReplicas')
  assert.equal(e.value, 'ten')
  assert.equal(e.message, 'maxReplicas: invalid type: string "ten", expected i32')
  assert.equal(e.detail, 'invalid type: string "ten", expected i32')
})

test('a nested bad value keeps its path and its own type', () => {
  const bad = structuredClone(spec)
  bad.metrics[0].resource.target.averageUtilization = { lots: true }
  const e = thrown(() => new podscale.HorizontalPodAutoscaler(bad))
  assert.ok(e instanceof podscale.ValidationError)
  assert.equal(e.path, 'metrics[0].resource.target.averageUtilization')
  assert.deepEqual(e.value, { lots: true })
})

test('a quantity that is not one', () => {
  const e = thrown(() => podscale.parseQuantity('lots'))
  assert.ok(e instanceof podscale.ValidationError)
  assert.equal(e.value, 'lots')
  assert.match(e.message, /not a quantity/)
})

test('bad instants', () => {
  for (const bad of ['yesterday', new Date(Number.NaN), 1.5, Number.POSITIVE_INFINITY]) {
    const e = thrown(() => podscale.toUnixMs(bad))
    assert.ok(e instanceof podscale.ValidationError, String(bad))
  }
})

test('cron: robfig\'s message, and KEDA\'s for metadata', () => {
  const e = thrown(() => new podscale.CronSchedule('61 * * * *'))
  assert.ok(e instanceof podscale.ValidationError)
  assert.equal(e.detail, 'end of range (61) above maximum (59): 61')
  assert.equal(e.value, '61 * * * *')
  const m = thrown(() => new podscale.CronTrigger({ timezone: 'Etc/UTC', start: '0 6 * * *', end: '0 6 * * *', desiredReplicas: '1' }))
  assert.ok(m instanceof podscale.ValidationError)
  assert.match(m.detail, /start and end can not have exactly same time input/)
})

test('a runtime zone error is a PodscaleError, not a ValidationError', () => {
  const t = new podscale.CronTrigger({ timezone: 'Mars/Olympus', start: '0 6 * * *', end: '0 20 * * *', desiredReplicas: '1' })
  const e = thrown(() => t.evaluate(0))
  assert.ok(e instanceof podscale.PodscaleError)
  assert.ok(!(e instanceof podscale.ValidationError))
  assert.equal(e.kind, 'Refused')
  assert.match(e.detail, /unknown time zone Mars\/Olympus/)
})

test('decide needs an observation or replicas and usage', () => {
  const hpa = new podscale.HorizontalPodAutoscaler(spec)
  const e = thrown(() => hpa.decide(new podscale.HpaState(), { now: 0 }))
  assert.ok(e instanceof podscale.ValidationError)
  assert.equal(e.path, 'observation')
})

test('a failed decision leaves the state as it was', () => {
  const hpa = new podscale.HorizontalPodAutoscaler(spec, {
    podTemplate: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m' } } }] } },
  })
  const state = new podscale.HpaState()
  hpa.decide(state, { now: 0, replicas: 2, usage: 100 })
  const before = JSON.stringify(state)
  assert.throws(() => hpa.decide(state, { now: 15_000, replicas: 2, usage: -5 }), podscale.ValidationError)
  assert.equal(JSON.stringify(state), before)
})

test('replay series of different lengths', () => {
  const hpa = new podscale.HorizontalPodAutoscaler(spec)
  const e = thrown(() => hpa.replay(null, { times: new Float64Array(3), usage: new Float64Array(2) }))
  assert.ok(e instanceof podscale.ValidationError)
  assert.equal(e.path, 'usage')
})

// Arbitrary JavaScript values into every entry point that reads plain objects: each either
// answers or throws an Error (a PodscaleError, or napi's TypeError for a wrong argument
// type); the process never aborts.
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.constantFrom('200m', '250Mi', 'Resource', 'Utilization', 'cpu', '0 6 * * *', 'Etc/UTC', '1m30s'),
    fc.date({ noInvalidDate: false }),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(
    fc.constantFrom('metrics', 'type', 'resource', 'name', 'target', 'maxReplicas', 'minReplicas', 'pods', 'spec', 'metadata', 'replicas', 'now', 'usage', 'containers', 'cpu', 'memory', 'timezone', 'start', 'end', 'desiredReplicas', 'triggers', 'scaleTargetRef', 'averageUtilization', 'status', 'phase'),
    tie('node'),
    { maxKeys: 4 },
  )),
}))

test('arbitrary input never crashes: it answers or throws an Error', () => {
  const entryPoints = [
    (v) => new podscale.HorizontalPodAutoscaler(v),
    (v) => new podscale.HorizontalPodAutoscaler(spec).decide(new podscale.HpaState(), v),
    (v) => podscale.groupPods(v),
    (v) => podscale.calculateReplicas(v),
    (v) => podscale.limitReplicasWithBehavior(v),
    (v) => podscale.stabilize(v),
    (v) => podscale.defaultBehavior(v),
    (v) => new podscale.CronTrigger(v),
    (v) => new podscale.ScaledObject(v),
    (v) => podscale.HpaState.fromJSON(v),
    (v) => podscale.ContainerAggregate.fromJSON(v),
    (v) => new podscale.HistogramOptions(v),
    (v) => podscale.proportionalLimit(v),
    (v) => podscale.resourcesAsResourceList(v),
    (v) => podscale.simulate({ manifests: v, demand: 'time,cpu\n0s,1\n' }),
    (v) => podscale.toUnixMs(v),
    (v) => podscale.parseQuantity(v),
  ]
  fc.assert(
    fc.property(fc.nat(entryPoints.length - 1), value.node, (which, v) => {
      try {
        entryPoints[which](v)
      } catch (e) {
        assert.ok(e instanceof Error, `not an Error: ${e}`)
        if (e instanceof podscale.PodscaleError) assert.notEqual(e.kind, 'Internal', e.message)
      }
    }),
    { numRuns: 2000 },
  )
})
