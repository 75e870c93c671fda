'use strict'
// The `hpa` family through the package's public API: each suite becomes the call a person
// would make, with the vector's snake_case fields rewritten as the Kubernetes objects they
// describe (pods, PodMetrics, an autoscaling/v2 spec).

const podscale = require('..')
const { Mismatch, big, check, field, milli, milliOf, ms, quantities } = require('./check')

const DIRECTION = { scale_up: 'ScaleUp', scale_down: 'ScaleDown' }

/** Vector rules as `behavior.scaleUp`/`scaleDown` in a manifest. */
function rules(r) {
  if (r === null || r === undefined) return undefined
  return {
    stabilizationWindowSeconds: r.stabilization_window_seconds ?? undefined,
    selectPolicy: r.select_policy ?? undefined,
    policies: r.policies?.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.period_seconds })),
    tolerance: r.tolerance ?? undefined,
  }
}

/** Rules as the vectors write them, from the package's answer. */
function rulesBack(r) {
  return {
    stabilization_window_seconds: r.stabilizationWindowSeconds ?? null,
    select_policy: r.selectPolicy ?? null,
    policies: r.policies?.map((p) => ({ type: p.type, value: p.value, period_seconds: p.periodSeconds })) ?? null,
  }
}

/** A vector pod as the API returns it. */
function pod(p) {
  const containers = []
  const initContainers = []
  for (const c of p.containers) {
    const container = { name: c.name, resources: { requests: quantities(c.requests_milli) } }
    if (c.kind === 'Sidecar') initContainers.push({ ...container, restartPolicy: 'Always' })
    else if (c.kind === 'Init') initContainers.push(container)
    else containers.push(container)
  }
  const spec = { containers, initContainers }
  if (p.pod_requests_milli) spec.resources = { requests: quantities(p.pod_requests_milli) }
  if (p.overhead_milli) spec.overhead = quantities(p.overhead_milli)
  const status = { phase: p.phase }
  if (p.start_time !== null && p.start_time !== undefined) status.startTime = ms(p.start_time)
  if (p.ready_condition) {
    status.conditions = [
      { type: 'Ready', status: p.ready_condition.status, lastTransitionTime: ms(p.ready_condition.last_transition_time) },
    ]
  }
  const metadata = { name: p.name }
  if (p.deleting) metadata.deletionTimestamp = 0
  return { metadata, spec, status }
}

/** A vector resource sample as a metrics.k8s.io PodMetrics item. */
function podMetrics(m) {
  return {
    metadata: { name: m.pod },
    timestamp: ms(m.timestamp),
    window: m.window_seconds,
    containers: m.containers.map((c) => ({ name: c.name, usage: quantities(c.usage_milli) })),
  }
}

/** A vector Pods-metric sample as a custom metrics value. */
function podsValue(m) {
  return { pod: m.pod, value: milli(m.value_milli), timestamp: ms(m.timestamp), window: m.window_seconds }
}

function readiness(v) {
  return {
    cpuInitializationPeriod: v.cpu_initialization_period_seconds,
    initialReadinessDelay: v.delay_of_initial_readiness_status_seconds,
  }
}

function events(list) {
  return list.map((e) => ({ replicaChange: e.replica_change, timestamp: ms(e.timestamp), outdated: e.outdated ?? false }))
}

function recommendations(list) {
  return list.map((r) => ({ replicas: r.replicas, timestamp: ms(r.timestamp) }))
}

// ---- suites ---------------------------------------------------------------------------------

function defaults(input, expect) {
  const key = input.direction === 'scale_up' ? 'scaleUp' : 'scaleDown'
  const got = rulesBack(podscale.defaultBehavior({ [key]: rules(input.rules) })[key])
  for (const k of ['stabilization_window_seconds', 'select_policy', 'policies']) check(k, field(expect, k), got[k])
}

function groupPods(input, expect) {
  const got = podscale.groupPods({
    pods: input.pods.map(pod),
    podMetrics: input.metrics.map((m) => ({ ...podMetrics({ ...m, containers: [] }) })),
    resource: input.resource ?? undefined,
    ...readiness(input),
  })
  check('ready_pod_count', expect.ready_pod_count, got.readyPodCount)
  check('unready_pods', expect.unready_pods, got.unreadyPods)
  check('missing_pods', expect.missing_pods, got.missingPods)
  check('ignored_pods', expect.ignored_pods, got.ignoredPods)
}

/** The metric of `spec.metrics` each replica-calculator function computes. */
function calculatorMetric(input) {
  const target = (type) => {
    if (type === 'Utilization') return { type, averageUtilization: input.target }
    if (type === 'AverageValue') return { type, averageValue: milli(input.target) }
    return { type, value: milli(input.target) }
  }
  const resource = (type) =>
    input.container
      ? { type: 'ContainerResource', containerResource: { name: input.resource, container: input.container, target: target(type) } }
      : { type: 'Resource', resource: { name: input.resource, target: target(type) } }
  const named = (kind, type) => ({ type: kind, [kind.toLowerCase()]: { metric: { name: 'metric' }, target: target(type) } })
  switch (input.function) {
    case 'GetResourceReplicas':
      return resource('Utilization')
    case 'GetRawResourceReplicas':
      return resource('AverageValue')
    case 'GetMetricReplicas':
      return named('Pods', 'AverageValue')
    case 'GetObjectMetricReplicas':
      return named('Object', 'Value')
    case 'GetObjectPerPodMetricReplicas':
      return named('Object', 'AverageValue')
    case 'GetExternalMetricReplicas':
      return named('External', 'Value')
    case 'GetExternalPerPodMetricReplicas':
      return named('External', 'AverageValue')
    default:
      throw new Mismatch(`unknown function ${JSON.stringify(input.function)}`)
  }
}

function replicaCalculator(input, expect) {
  const request = {
    currentReplicas: input.current_replicas,
    metric: calculatorMetric(input),
    scaleUpTolerance: input.tolerances.scale_up,
    scaleDownTolerance: input.tolerances.scale_down,
    ...readiness(input),
    pods: input.pods.map(pod),
    podMetrics: (input.resource_metrics ?? []).map(podMetrics),
    podsMetrics: (input.pod_metrics ?? []).map(podsValue),
    externalValues: (input.external_metrics_milli ?? []).map(milli),
  }
  if (input.object_metric_milli !== undefined) request.objectValue = milli(input.object_metric_milli)
  let got
  try {
    got = podscale.calculateReplicas(request)
  } catch (e) {
    if (!(e instanceof podscale.PodscaleError)) throw e
    if (expect.error_contains !== undefined) {
      if (e.message.includes(expect.error_contains)) return
      throw new Mismatch(`expected an error containing ${JSON.stringify(expect.error_contains)}, got error ${JSON.stringify(e.message)}`)
    }
    throw new Mismatch(`unexpected error: ${e.message}`)
  }
  if (expect.error_contains !== undefined) {
    throw new Mismatch(`expected an error containing ${JSON.stringify(expect.error_contains)}, got a proposal`)
  }
  check('replicas', expect.replicas, got.replicas)
  const usage = milliOf(got.usage)
  if (input.function === 'GetResourceReplicas') {
    check('utilization', expect.utilization, got.averageUtilization)
    check('raw_value_milli', big(expect.raw_value_milli), usage)
  } else {
    check('usage_milli', big(expect.usage_milli), usage)
  }
}

function legacyLimits(input, expect) {
  const got = podscale.limitReplicasLegacy({
    currentReplicas: input.current_replicas,
    desiredReplicas: input.desired_replicas,
    minReplicas: input.min_replicas,
    maxReplicas: input.max_replicas,
    scaleUpLimitFactor: input.scale_up_limit_factor,
    scaleUpLimitMinimum: input.scale_up_limit_minimum,
  })
  check('replicas', expect.replicas, got.replicas)
  check('reason', expect.reason, got.reason)
}

function stabilizeLegacy(input, expect) {
  const got = podscale.stabilize({
    recommendations: recommendations(input.recommendations),
    desiredReplicas: input.desired_replicas,
    window: input.window_seconds,
  })
  check('replicas', expect.replicas, got.replicas)
  check('recommendations_after_len', expect.recommendations_after_len, got.recommendations.length)
}

function stabilizeBehavior(input, expect) {
  const got = podscale.stabilize({
    recommendations: recommendations(input.recommendations),
    currentReplicas: input.current_replicas,
    desiredReplicas: input.desired_replicas,
    scaleUpWindow: input.scale_up_window_seconds,
    scaleDownWindow: input.scale_down_window_seconds,
  })
  check('replicas', expect.replicas, got.replicas)
  if (Array.isArray(expect.recommendations_after)) {
    check('recommendations_after', expect.recommendations_after, got.recommendations.map((r) => r.replicas))
  }
}

function scaleLimit(input, expect) {
  const got = podscale.scaleLimit({
    direction: DIRECTION[input.direction],
    currentReplicas: input.current_replicas,
    rules: rules(input.rules),
    scaleUpEvents: events(input.scale_up_events),
    scaleDownEvents: events(input.scale_down_events),
  })
  check('limit', expect.limit, got)
}

function behaviorRate(input, expect) {
  const got = podscale.limitReplicasWithBehavior({
    currentReplicas: input.current_replicas,
    desiredReplicas: input.desired_replicas,
    minReplicas: input.min_replicas,
    maxReplicas: input.max_replicas,
    scaleUp: rules(input.scale_up),
    scaleDown: rules(input.scale_down),
    scaleUpEvents: events(input.scale_up_events),
    scaleDownEvents: events(input.scale_down_events),
  })
  check('replicas', expect.replicas, got.replicas)
  check('reason', expect.reason, got.reason)
}

function scaleEvents(input, expect) {
  const before = events(input.events_before)
  check(
    'replicas_change_last_60s_before',
    expect.replicas_change_last_60s_before,
    podscale.replicasChangePerPeriod({ periodSeconds: 60, events: before }),
  )
  let after = before
  // storeScaleEvent does nothing for an HPA without behavior.
  if (input.rules !== null && input.rules !== undefined) {
    const change = input.direction === 'scale_up' ? input.new_replicas - input.prev_replicas : input.prev_replicas - input.new_replicas
    after = podscale.storeScaleEvent({ events: before, rules: rules(input.rules), replicaChange: change })
  }
  check(
    'events_after',
    expect.events_after.map((e) => [e.replica_change, e.outdated]),
    after.map((e) => [e.replicaChange, e.outdated]),
  )
}

/** A vector metric as an entry of `spec.metrics`. */
function specMetric(m) {
  const t = m.target ?? {}
  const target = { type: t.type }
  if (t.type === 'Utilization' && t.average_utilization !== null && t.average_utilization !== undefined) {
    target.averageUtilization = t.average_utilization
  } else if (t.type === 'AverageValue' && t.average_value_milli !== null && t.average_value_milli !== undefined) {
    target.averageValue = milli(t.average_value_milli)
  } else if (t.type === 'Value' && t.value_milli !== null && t.value_milli !== undefined) {
    target.value = milli(t.value_milli)
  }
  switch (m.type) {
    case 'Resource':
      return { type: 'Resource', resource: { name: m.name, target } }
    case 'ContainerResource':
      return { type: 'ContainerResource', containerResource: { name: m.name, container: m.container, target } }
    case 'Pods':
    case 'Object':
    case 'External':
      return { type: m.type, [m.type.toLowerCase()]: { metric: { name: m.metric }, target } }
    default:
      return { type: m.type }
  }
}

function controller(input, expect) {
  const c = input.config
  const gates = input.feature_gates
  const hpa = new podscale.HorizontalPodAutoscaler(
    {
      scaleTargetRef: { kind: 'Deployment', name: 'test' },
      minReplicas: input.min_replicas ?? undefined,
      maxReplicas: input.max_replicas,
      metrics: input.metrics.map(specMetric),
      behavior: input.behavior ? { scaleUp: rules(input.behavior.scale_up), scaleDown: rules(input.behavior.scale_down) } : undefined,
    },
    {
      // Upstream's controller reads the spec as stored: targets without values and unknown
      // metric types fail at decision time with its conditions.
      validate: false,
      controller: {
        tolerance: c.tolerance,
        downscaleStabilization: c.downscale_stabilization_window_seconds,
        cpuInitializationPeriod: c.cpu_initialization_period_seconds,
        initialReadinessDelay: c.delay_of_initial_readiness_status_seconds,
        scaleUpLimitFactor: c.scale_up_limit_factor,
        scaleUpLimitMinimum: c.scale_up_limit_minimum,
        featureGates: {
          HPAScaleToZero: gates.HPAScaleToZero,
          HPAConfigurableTolerance: gates.HPAConfigurableTolerance,
          PodLevelResources: true,
        },
      },
    },
  )
  const failing = (api) => input.metric_api_errors?.[api] === true
  const observation = {
    replicas: input.spec_replicas,
    statusReplicas: input.status_replicas,
    pods: input.pods.map(pod),
    podsMetrics: {},
    objectMetrics: {},
    externalMetrics: {},
  }
  if (!failing('resource')) observation.podMetrics = (input.resource_metrics ?? []).map(podMetrics)
  for (const m of input.metrics) {
    if (m.type === 'Pods' && !failing('custom')) observation.podsMetrics[m.metric] = (input.pod_metrics ?? []).map(podsValue)
    if (m.type === 'Object' && !failing('custom')) observation.objectMetrics[m.metric] = milli(input.object_metric_milli)
    if (m.type === 'External' && !failing('external')) {
      observation.externalMetrics[m.metric] = (input.external_metrics_milli ?? []).map(milli)
    }
  }
  const state = podscale.HpaState.fromJSON({
    recommendations: input.recommendations
      ? input.recommendations.map((r) => ({ replicas: r.replicas, timestamp_ms: ms(r.timestamp) }))
      : null,
    scale_up_events: input.scale_up_events.map((e) => ({ replica_change: e.replica_change, timestamp_ms: ms(e.timestamp), outdated: e.outdated ?? false })),
    scale_down_events: input.scale_down_events.map((e) => ({ replica_change: e.replica_change, timestamp_ms: ms(e.timestamp), outdated: e.outdated ?? false })),
    conditions: input.conditions_before.map((x) => ({ type: x.type, status: x.status, reason: x.reason, last_transition_time_ms: 0 })),
    desired_replicas: input.status_desired_replicas,
    last_scale_time_ms: null,
  })
  let decision
  try {
    decision = hpa.decide(state, { observation, now: 0 })
  } catch (e) {
    if (e instanceof podscale.PodscaleError) throw new Mismatch(e.message)
    throw e
  }
  check('desired_replicas', expect.desired_replicas, state.desiredReplicas)
  check('rescale', expect.rescale, decision.rescale)
  check(
    'conditions',
    expect.conditions.map((x) => [x.type, x.status, x.reason]),
    decision.conditions.map((x) => [x.type, x.status, x.reason]),
  )
  if (typeof expect.cpu_utilization === 'number') {
    const found = decision.metrics.find((m) => m.current.averageUtilization !== undefined)
    check('cpu_utilization', expect.cpu_utilization, found ? found.current.averageUtilization : null)
  }
}

const SUITES = {
  defaults,
  group_pods: groupPods,
  replica_calculator: replicaCalculator,
  legacy_limits: legacyLimits,
  stabilize_legacy: stabilizeLegacy,
  stabilize_behavior: stabilizeBehavior,
  scale_limit: scaleLimit,
  behavior_rate: behaviorRate,
  scale_events: scaleEvents,
  controller,
}

/** Runs one `hpa` vector; throws a Mismatch when it does not hold. */
function run(vector) {
  const suite = SUITES[vector.suite]
  if (!suite) throw new Mismatch(`unknown hpa suite ${JSON.stringify(vector.suite)}`)
  suite(field(vector, 'input'), field(vector, 'expect'))
}

module.exports = { run, pod, podMetrics }
