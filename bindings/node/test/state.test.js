'use strict'
// Caller-owned state round-trips through JSON exactly: a loop interrupted by
// `JSON.stringify` / `fromJSON` decides as one that was not, and plain-object state decides as
// the classes do.

const test = require('node:test')
const assert = require('node:assert/strict')
const fc = require('fast-check')
require('./seed')
const podscale = require('..')

const template = { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m' } } }] } }

function hpa(behavior) {
  return new podscale.HorizontalPodAutoscaler(
    {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
      behavior,
    },
    { podTemplate: template },
  )
}

const usages = fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 2, maxLength: 60 })
const behaviors = fc.constantFrom(undefined, {}, { scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } })

function run(h, state, usage, from, replicas, restore) {
  const out = []
  let current = replicas
  for (let i = 0; i < usage.length; i++) {
    if (restore && i === Math.floor(usage.length / 2)) state = restore(state)
    const d = h.decide(state, { now: from + i * 15_000, replicas: current, usage: usage[i] })
    out.push([d.desiredReplicas, d.rescale, d.reason, JSON.stringify(d.conditions)])
    if (d.rescale) current = d.desiredReplicas
  }
  return { out, state }
}

test('an HpaState read back from JSON decides as the original', () => {
  fc.assert(
    fc.property(behaviors, usages, (behavior, usage) => {
      const h = hpa(behavior)
      const straight = run(h, new podscale.HpaState(), usage, 0, 2)
      const restored = run(h, new podscale.HpaState(), usage, 0, 2, (s) => podscale.HpaState.fromJSON(JSON.parse(JSON.stringify(s))))
      assert.deepEqual(restored.out, straight.out)
      assert.equal(JSON.stringify(restored.state), JSON.stringify(straight.state))
    }),
    { numRuns: 150 },
  )
})

test('a plain-object state, updated in place, decides as the class does', () => {
  fc.assert(
    fc.property(behaviors, usages, (behavior, usage) => {
      const h = hpa(behavior)
      const viaClass = run(h, new podscale.HpaState(), usage, 0, 3)
      const plain = {}
      const viaPlain = run(h, plain, usage, 0, 3)
      assert.deepEqual(viaPlain.out, viaClass.out)
      assert.deepEqual(plain, JSON.parse(JSON.stringify(viaClass.state)))
    }),
    { numRuns: 100 },
  )
})

test('ScaledObjectState round-trips, as a class and as a plain object', () => {
  const metadata = { timezone: 'Asia/Seoul', start: '00,15,30,45 * * * *', end: '05,20,35,50 * * * *', desiredReplicas: '1' }
  const so = new podscale.ScaledObject({ metadata: { name: 'q' }, spec: { cooldownPeriod: 300, triggers: [{ type: 'cron', metadata }] } })
  const trigger = new podscale.CronTrigger(metadata)
  const start = Date.parse('2024-05-01T00:00:00+09:00')
  const drive = (state, restoreAt) => {
    const out = []
    let replicas = 0
    for (let i = 0; i < 240; i++) {
      if (i === restoreAt) state = podscale.ScaledObjectState.fromJSON(JSON.parse(JSON.stringify(state)))
      const now = start + i * 30_000
      const a = trigger.evaluate(now)
      const p = so.poll(state, [{ active: a.active, metric: a.metricValue }], { replicas, now })
      if (p.action && p.action.written) replicas = p.action.scaleTo
      out.push(JSON.stringify(p))
    }
    return out
  }
  const straight = drive(new podscale.ScaledObjectState(), -1)
  assert.deepEqual(drive(new podscale.ScaledObjectState(), 100), straight)
  assert.deepEqual(drive({}, -1), straight)
  assert.ok(straight.some((p) => p.includes('"deactivate"')))
})

test('VPA aggregates, container states and histograms round-trip', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1 << 20, max: 2 ** 32 })), { minLength: 1, maxLength: 80 }),
      (samples) => {
        const feed = (restoreAt) => {
          let aggregate = new podscale.ContainerAggregate()
          let container = new podscale.ContainerState()
          samples.forEach(([cpu, memory], i) => {
            if (i === restoreAt) {
              aggregate = podscale.ContainerAggregate.fromJSON(JSON.parse(JSON.stringify(aggregate)))
              container = podscale.ContainerState.fromJSON(JSON.parse(JSON.stringify(container)))
            }
            const t = Date.UTC(2024, 0, 1) + i * 60_000
            container.addCpuSample(aggregate, t, cpu)
            container.addMemorySample(aggregate, t, memory)
          })
          return podscale.recommend({ app: aggregate })
        }
        assert.deepEqual(feed(Math.floor(samples.length / 2)), feed(-1))
      },
    ),
    { numRuns: 60 },
  )
  const h = new podscale.Histogram(new podscale.HistogramOptions({ preset: 'cpu' }), { halfLife: '24h' })
  h.addSample(0.5, 1, Date.UTC(2024, 0, 1))
  const back = podscale.Histogram.fromJSON(JSON.parse(JSON.stringify(h)))
  assert.deepEqual(back.state(), h.state())
  assert.deepEqual(back.saveCheckpoint(), h.saveCheckpoint())
})
