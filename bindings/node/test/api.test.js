'use strict'
// The API in use: instants in their three forms, the TypeScript example run as written, and
// the simulator on the repository's walkthroughs against what the `podscale` command shows.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const podscale = require('..')

test('an instant is a Date, Unix milliseconds or RFC 3339 text, all alike', () => {
  const ms = Date.UTC(2024, 4, 1, 1, 17)
  for (const form of [ms, new Date(ms), '2024-05-01T01:17:00Z', '2024-05-01T10:17:00+09:00', '2024-05-01T01:17:00.000Z']) {
    assert.equal(podscale.toUnixMs(form), ms)
  }
  const trigger = new podscale.CronTrigger({ timezone: 'Asia/Seoul', start: '00,15,30,45 * * * *', end: '05,20,35,50 * * * *', desiredReplicas: '1' })
  assert.deepEqual(trigger.evaluate(new Date(ms)), trigger.evaluate('2024-05-01T10:17:00+09:00'))
  assert.equal(trigger.evaluate(ms).active, true)
})

test('the TypeScript example runs as written', () => {
  const ts = require('typescript')
  const file = path.join(__dirname, '..', 'examples', 'quickstart.ts')
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  })
  const module = { exports: {} }
  const load = (name) => (name === '..' ? podscale : require(name))
  new Function('require', 'module', 'exports', outputText)(load, module, module.exports)
  const example = module.exports
  const d = example.oneDecision()
  assert.equal(d.desiredReplicas, 4)
  assert.equal(d.metrics[0].current.averageUtilization, 95)
  assert.equal(d.reason, 'MetricAboveTarget')
  const week = example.replayWeek()
  assert.equal(week.length, 40_320)
  assert.ok(Math.max(...week) <= 10 && Math.min(...week) >= 1)
  assert.deepEqual(example.cron(), { active: true, scaleTo: 1 })
  assert.equal(example.vpaTarget(), '587m 250Mi')
  assert.equal(example.badSpec(), 'minReplicas = "two"')
})

const WALKTHROUGHS = path.join(__dirname, '..', '..', '..', 'controller', 'examples', 'walkthroughs')
const read = (name) => fs.readFileSync(path.join(WALKTHROUGHS, name), 'utf8')

test('simulate: the php-apache walkthrough as the podscale command replays it', () => {
  const out = podscale.simulate({
    manifests: [read('php-apache.yaml'), read('php-apache-hpa.yaml')],
    demand: read('php-apache-load.csv'),
    options: { cpuPerRequest: '40ms', thinkTime: '10ms' },
  })
  const at = (text) => out.time.indexOf(podscale.toUnixMs(`1970-01-01T00:${text}Z`))
  // The README's table: 4 at 1:15 (the legacy scale-up limit), the plateau at 5 pods and
  // 44%, and the scale-down at 15:15 once the 5-minute stabilization window has passed.
  assert.equal(out.specReplicas[at('01:15')], 4)
  assert.equal(out.specReplicas[at('01:30')], 5)
  assert.equal(out.utilization[at('02:00')], 44)
  assert.equal(out.specReplicas[at('15:00')], 5)
  assert.equal(out.specReplicas[at('15:15')], 1)
  assert.equal(out.hpaAbleToScale[at('10:15')], 'ScaleDownStabilized')
  assert.equal(out.title, 'Deployment/php-apache, HorizontalPodAutoscaler/php-apache')
})

test('simulate: the quarter-hour KEDA schedule and the VPA hamster', () => {
  const docs = read('quarter-hour.yaml')
  const out = podscale.simulate({ manifests: docs, demand: read('quarter-hour-clock.csv') })
  const scaledToZero = out.kedaAction.filter((a) => a.startsWith('deactivate'))
  assert.ok(scaledToZero.length > 0, JSON.stringify(out.kedaAction.filter(Boolean).slice(0, 5)))
  const hamster = podscale.simulate({ manifests: read('hamster.yaml'), demand: read('hamster-cpu.csv') })
  const targets = Array.from(hamster.vpaTargetCpu).filter((x) => !Number.isNaN(x))
  assert.equal(targets[targets.length - 1], 587)
  assert.equal(hamster.vpaTargetMemory[hamster.vpaTargetMemory.length - 1], 262_144_000)
})

test('simulate: demand as columns, and a bad manifest names its document', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m' } } }] } } },
  }
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  }
  const out = podscale.simulate({
    manifests: [deployment, hpa],
    demand: { times: [0, 600_000], cpu: [400, 400], relative: true },
  })
  assert.equal(out.specReplicas[out.specReplicas.length - 1], 4)
  assert.throws(
    () => podscale.simulate({ manifests: [deployment, { ...hpa, spec: { ...hpa.spec, maxReplicas: 'ten' } }], demand: 'time,cpu\n0s,1\n' }),
    (e) => e instanceof podscale.ValidationError && e.path === 'spec.maxReplicas' && /manifests\[1\]/.test(e.message),
  )
})

test('the README example runs as written', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
  const block = /```js\n([\s\S]*?)```/.exec(readme)[1]
  const load = (name) => (name === 'podscale' ? podscale : require(name))
  const body = `${block}\nreturn { decision, trigger, replayed: hpa.replay(new HpaState(), { times, total }) }`
  const { decision, trigger, replayed } = new Function('require', body)(load)
  assert.equal(decision.desiredReplicas, 4)
  assert.equal(decision.condition('ScalingLimited').reason, 'DesiredWithinRange')
  assert.equal(trigger.evaluate('2024-05-01T10:17:00+09:00').active, true)
  assert.equal(replayed.desiredReplicas.length, 40_320)
})
