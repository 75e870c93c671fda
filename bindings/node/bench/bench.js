'use strict'
// `npm run bench`: the two numbers from JavaScript, medians of several rounds.
//   - one HPA decision (two pods, 190m of 200m, a 50% CPU target, state carried over);
//   - replaying 40,320 steps (a week of 15 s syncs) from a Float64Array.
// Run it on an idle machine, outside `make test`.

const podscale = require('..')

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function hpa() {
  return new podscale.HorizontalPodAutoscaler(
    {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
    { podTemplate: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m' } } }] } } },
  )
}

function singleDecision() {
  const h = hpa()
  const state = new podscale.HpaState()
  const n = 200_000
  const request = { now: 0, replicas: 2, usage: 190 }
  const rounds = []
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) {
      request.now = i * 15_000
      h.decide(state, request)
    }
    rounds.push(Number(process.hrtime.bigint() - start) / n / 1000)
  }
  return median(rounds.slice(2))
}

function replayWeek() {
  const h = hpa()
  const steps = 40_320
  const times = new Float64Array(steps)
  const total = new Float64Array(steps)
  for (let i = 0; i < steps; i++) {
    times[i] = 1_714_521_600_000 + i * 15_000
    total[i] = 300 + 250 * Math.sin((2 * Math.PI * i) / 5_760)
  }
  const rounds = []
  for (let r = 0; r < 9; r++) {
    const start = process.hrtime.bigint()
    h.replay(new podscale.HpaState(), { times, total, initialReplicas: 1 })
    rounds.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return median(rounds.slice(2))
}

const decision = singleDecision()
const replay = replayWeek()
console.log(`HPA decision, one call from JavaScript:      ${decision.toFixed(2)} µs   (goal < 3 µs)`)
console.log(`HPA replay, 40,320 steps from Float64Array:  ${replay.toFixed(1)} ms   (goal < 20 ms)`)
