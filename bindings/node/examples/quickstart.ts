// The package's walkthrough, type-checked against the generated `index.d.ts` (`npm run
// typecheck`, part of `npm test`) and run by the tests.
import {
  ContainerAggregate,
  ContainerState,
  CronTrigger,
  Decision,
  HorizontalPodAutoscaler,
  HpaState,
  ScaledObject,
  ScaledObjectState,
  ValidationError,
  recommend,
} from '..'

/** An HPA at 50% CPU from 1 to 10 replicas over pods requesting 200m. */
export function cpuHpa(): HorizontalPodAutoscaler {
  return new HorizontalPodAutoscaler(
    {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
    { podTemplate: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m' } } }] } } },
  )
}

/** Two pods using 190m each against 200m requested: 95% for a 50% target, so 4 pods. */
export function oneDecision(): Decision {
  const hpa = cpuHpa()
  const state = new HpaState()
  return hpa.decide(state, { now: new Date('2024-05-01T10:00:00Z'), replicas: 2, usage: '190m' })
}

/** A week of 15 s syncs from a Float64Array: the replica count after each. */
export function replayWeek(): Int32Array {
  const steps = 40_320
  const times = new Float64Array(steps)
  const total = new Float64Array(steps)
  for (let i = 0; i < steps; i++) {
    times[i] = Date.UTC(2024, 4, 1) + i * 15_000
    total[i] = 300 + 250 * Math.sin((2 * Math.PI * i) / 5_760) // a daily wave, millicores
  }
  return cpuHpa().replay(new HpaState(), { times, total, initialReplicas: 1 }).desiredReplicas
}

/** KEDA's quarter-hour cron window in Seoul, and the ScaledObject's first poll. */
export function cron(): { active: boolean; scaleTo: number | null } {
  const metadata = { timezone: 'Asia/Seoul', start: '00,15,30,45 * * * *', end: '05,20,35,50 * * * *', desiredReplicas: '1' }
  const trigger = new CronTrigger(metadata)
  const now = '2024-05-01T10:17:00+09:00'
  const { active, metricValue } = trigger.evaluate(now)
  const so = new ScaledObject({
    metadata: { name: 'quarter-hour' },
    spec: { cooldownPeriod: 300, triggers: [{ type: 'cron', metadata }] },
  })
  const poll = so.poll(new ScaledObjectState(), [{ active, metric: metricValue }], { replicas: 0, now })
  return { active, scaleTo: poll.action ? poll.action.scaleTo : null }
}

/** The VPA's `hamster`: half a core for an hour, recommended 587m and the 250Mi pod minimum. */
export function vpaTarget(): string | undefined {
  const aggregate = new ContainerAggregate()
  const container = new ContainerState()
  const start = Date.UTC(2024, 4, 1)
  for (let minute = 0; minute < 60; minute++) {
    container.addCpuSample(aggregate, start + minute * 60_000, 500)
    container.addMemorySample(aggregate, start + minute * 60_000, 4 << 20)
  }
  const [app] = recommend({ app: aggregate })
  return `${app.target?.cpu} ${app.target?.memory}`
}

/** A bad spec names its field and value. */
export function badSpec(): string {
  try {
    new HorizontalPodAutoscaler({ scaleTargetRef: { name: 'web' }, maxReplicas: 10, minReplicas: 'two' as unknown as number })
    return 'accepted'
  } catch (e) {
    if (e instanceof ValidationError) return `${e.path} = ${JSON.stringify(e.value)}`
    throw e
  }
}
