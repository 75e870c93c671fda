'use strict'
// The `vpa` family through the package's public API: histograms and checkpoints, the
// container model and aggregates, estimators, the recommender end to end, and the
// post-processing (capping, proportional limits, the updater's priority). Floats are compared
// bit for bit unless a vector's `check` states a tolerance.

const podscale = require('..')
const { Mismatch, big, check, field, milli, milliOf, ms } = require('./check')

/** Go's zero time, which a decaying histogram never fed has as its reference. */
const GO_ZERO_TIME_MS = -62135596800000

// ---- values ---------------------------------------------------------------------------------

const view = new DataView(new ArrayBuffer(8))

/** The bits of a double as `0x…` hex, for failure lines. */
function bits(x) {
  view.setFloat64(0, x)
  return `0x${view.getBigUint64(0).toString(16).padStart(16, '0')}`
}

/** Compares doubles bit for bit (0 and -0 differ), naming both and their bits on mismatch. */
function checkFloat(what, expected, got) {
  if (!Object.is(expected, got)) {
    throw new Mismatch(`${what}: expected ${expected} (${bits(expected)}), got ${got} (${bits(got)})`)
  }
}

/** The double whose bits `0x…` text gives. */
function fromBits(text) {
  view.setBigUint64(0, BigInt(text))
  return view.getFloat64(0)
}

/** A vector `{cpu_m, memory_bytes}` as a resource list (`cpu` quantity text, `memory` bytes). */
function resources(r) {
  const out = {}
  if (r && r.cpu_m !== null && r.cpu_m !== undefined) out.cpu = milli(r.cpu_m)
  if (r && r.memory_bytes !== null && r.memory_bytes !== undefined) out.memory = r.memory_bytes
  return out
}

/** A resource list the package wrote, back in the vectors' terms (`null` where absent). */
function resourcesBack(list) {
  const cpu = list?.cpu === undefined || list?.cpu === null ? null : Number(podscale.parseQuantity(list.cpu))
  const memory =
    list?.memory === undefined || list?.memory === null ? null : Number(podscale.parseQuantity(list.memory, { milli: false }))
  return { cpu_m: cpu, memory_bytes: memory }
}

/** A vector resource object normalised the same way. */
function resourcesNorm(r) {
  return { cpu_m: r?.cpu_m ?? null, memory_bytes: r?.memory_bytes ?? null }
}

/** Vector recommendations as the VPA's status lists them. */
function recommendations(list) {
  if (list === null || list === undefined) return null
  return list.map((r) => ({
    containerName: r.container,
    target: resources(r.target),
    lowerBound: resources(r.lower_bound),
    upperBound: resources(r.upper_bound),
    uncappedTarget: resources(r.uncapped_target),
  }))
}

/** Compares recommendation lists entry by entry, in the vectors' terms. */
function checkRecommendations(expected, got) {
  check(
    'recommendation containers',
    expected.map((r) => r.container),
    got.map((r) => r.containerName),
  )
  expected.forEach((want, i) => {
    const have = got[i]
    for (const [key, answer] of [
      ['target', 'target'],
      ['lower_bound', 'lowerBound'],
      ['upper_bound', 'upperBound'],
      ['uncapped_target', 'uncappedTarget'],
    ]) {
      check(`${want.container} recommendation ${key}`, resourcesNorm(want[key]), resourcesBack(have[answer]))
    }
  })
}

/** A vector pod (`containers` with requests and limits, `container_statuses`) as a Pod. */
function pod(p) {
  const requirements = (c) => ({ requests: resources(c.requests), limits: resources(c.limits) })
  return {
    spec: { containers: p.containers.map((c) => ({ name: c.name, resources: requirements(c) })) },
    status: {
      containerStatuses: (p.container_statuses ?? []).map((s) => ({ name: s.name, resources: requirements(s) })),
    },
  }
}

/** A vector policy as a `resourcePolicy`. */
function policy(p) {
  if (p === null || p === undefined) return undefined
  return new podscale.ResourcePolicy({
    containerPolicies: p.container_policies.map((c) => {
      const out = { containerName: c.container_name }
      if (c.mode) out.mode = c.mode
      if (c.min_allowed) out.minAllowed = resources(c.min_allowed)
      if (c.max_allowed) out.maxAllowed = resources(c.max_allowed)
      if (c.controlled_values) out.controlledValues = c.controlled_values
      return out
    }),
  })
}

function limitRange(item) {
  if (item === null || item === undefined) return undefined
  return { min: resources(item.min), max: resources(item.max), default: resources(item.default) }
}

/** Histogram options from a vector's `{kind, max_value, …}`. */
function histogramOptions(o) {
  if (o.kind === 'linear') {
    return new podscale.HistogramOptions({ type: 'linear', maxValue: o.max_value, bucketSize: o.bucket_size, epsilon: o.epsilon })
  }
  if (o.kind === 'exponential') {
    return new podscale.HistogramOptions({
      type: 'exponential',
      maxValue: o.max_value,
      firstBucketSize: o.first_bucket_size,
      ratio: o.ratio,
      epsilon: o.epsilon,
    })
  }
  throw new Mismatch(`unknown histogram options kind ${JSON.stringify(o.kind)}`)
}

/** A vector time: Unix seconds, or null for Go's zero time (which the package leaves out). */
function time(seconds) {
  return seconds === null || seconds === undefined ? undefined : ms(seconds)
}

/** The aggregation options of a pipeline or container-state config. */
function aggregation(c) {
  const out = {
    memoryAggregationInterval: c.memory_aggregation_interval_s,
    memoryAggregationIntervalCount: c.memory_aggregation_interval_count,
    oomBumpUpRatio: c.oom_bump_up_ratio,
    oomMinBumpUpBytes: c.oom_min_bump_up_bytes,
  }
  if (c.cpu_half_life_s !== undefined) {
    out.cpuHistogramDecayHalfLife = c.cpu_half_life_s
    out.memoryHistogramDecayHalfLife = c.memory_half_life_s
  }
  return out
}

function recommender(c) {
  return {
    targetCpuPercentile: c.target_cpu_percentile,
    lowerBoundCpuPercentile: c.lower_bound_cpu_percentile,
    upperBoundCpuPercentile: c.upper_bound_cpu_percentile,
    targetMemoryPercentile: c.target_memory_percentile,
    lowerBoundMemoryPercentile: c.lower_bound_memory_percentile,
    upperBoundMemoryPercentile: c.upper_bound_memory_percentile,
    safetyMarginFraction: c.safety_margin_fraction,
    podMinCpuMillicores: c.pod_min_cpu_millicores,
    podMinMemoryMb: c.pod_min_memory_mb,
    confidenceIntervalCpu: c.confidence_interval_cpu_s,
    confidenceIntervalMemory: c.confidence_interval_memory_s,
  }
}

// ---- histograms -----------------------------------------------------------------------------

function histogramOptionsSuite(v) {
  const options = histogramOptions(v.input.options)
  const queries = v.input.queries
  const results = v.expected.results
  check('number of results', queries.length, results.length)
  queries.forEach((q, i) => {
    const what = `queries[${i}]`
    const r = results[i]
    if (q.op === 'num_buckets') check(`${what} num_buckets`, r.expect, options.numBuckets)
    else if (q.op === 'find_bucket') check(`${what} find_bucket(${q.value})`, r.expect, options.findBucket(q.value))
    else if (q.op === 'bucket_start') {
      const got = options.bucketStart(q.bucket)
      if (got === null) throw new Mismatch(`${what}: bucket ${q.bucket} out of range`)
      const want = fromBits(r.expect_bits)
      checkFloat(`${what} bucket_start(${q.bucket})`, want, got)
      checkFloat(`${what} bucket_start(${q.bucket}) expect`, r.expect, want)
    } else throw new Mismatch(`${what}: unknown query ${JSON.stringify(q.op)}`)
  })
}

/** The tolerance a vector's `check` allows on state bucket weights (null: bit-exact). */
function tolerance(v) {
  if (v.check === 'exact') return null
  const m = /^bucket weights: abs ([^ (;]+)/.exec(v.check)
  if (!m) throw new Mismatch(`unknown check ${JSON.stringify(v.check)}`)
  return Number(m[1])
}

function checkState(what, want, histogram, tol, decaying) {
  const s = histogram.state()
  check(`${what} min_bucket`, want.min_bucket, s.minBucket)
  check(`${what} max_bucket`, want.max_bucket, s.maxBucket)
  checkFloat(`${what} total_weight`, want.total_weight, s.totalWeight)
  check(
    `${what} non-zero buckets`,
    want.bucket_weights.map((p) => p[0]),
    s.bucketWeights.map((p) => p[0]),
  )
  want.bucket_weights.forEach(([bucket, weight], i) => {
    const got = s.bucketWeights[i][1]
    const label = `${what} bucket_weights[${bucket}]`
    if (tol === null) checkFloat(label, weight, got)
    else if (Math.abs(weight - got) > tol) throw new Mismatch(`${label}: expected ${weight} within ${tol}, got ${got}`)
  })
  const hasWant = 'reference_unix_s' in want
  const reference = s.referenceTimestamp === GO_ZERO_TIME_MS ? null : (s.referenceTimestamp ?? null)
  if (decaying && hasWant) check(`${what} reference`, time(want.reference_unix_s) ?? null, reference)
  else if (decaying) throw new Mismatch(`${what}: no expected reference_unix_s`)
  else if (hasWant) throw new Mismatch(`${what}: a plain histogram has no reference`)
}

/** A vector checkpoint as the package's (`bucketWeights` keyed by index). */
function checkpoint(c) {
  const weights = {}
  for (const [index, weight] of c.bucket_weights) weights[index] = weight
  const out = { totalWeight: c.total_weight, bucketWeights: weights }
  const t = time(c.reference_unix_s)
  if (t !== undefined) out.referenceTimestamp = t
  return out
}

function checkSaved(what, want, histogram, decaying) {
  const saved = histogram.saveCheckpoint()
  checkFloat(`${what} total_weight`, want.total_weight, saved.totalWeight)
  const sorted = [...want.bucket_weights].sort((a, b) => a[0] - b[0])
  check(
    `${what} bucket_weights`,
    sorted,
    Object.entries(saved.bucketWeights).map(([i, w]) => [Number(i), w]),
  )
  if (decaying) check(`${what} reference`, time(want.reference_unix_s) ?? null, saved.referenceTimestamp ?? null)
}

function apply(histogram, ops, expected, fresh, tol, decaying) {
  ops.forEach((op, i) => {
    const what = `ops[${i}] ${op.op}`
    const want = expected ? expected[i] : undefined
    if (expected && want === undefined) throw new Mismatch(`${what}: no expected result`)
    const expectNull = () => {
      if (want !== undefined && want !== null) throw new Mismatch(`${what}: expected ${JSON.stringify(want)}, the op returns nothing`)
    }
    try {
      switch (op.op) {
        case 'add':
          histogram.addSample(op.value, op.weight, time(op.t))
          expectNull()
          break
        case 'sub':
          histogram.subtractSample(op.value, op.weight, time(op.t))
          expectNull()
          break
        case 'merge': {
          const other = fresh()
          apply(other, op.other_ops, null, fresh, tol, decaying)
          histogram.merge(other)
          expectNull()
          break
        }
        case 'load_checkpoint': {
          let outcome = 'ok'
          try {
            histogram.loadCheckpoint(checkpoint(op.checkpoint))
          } catch (e) {
            if (!(e instanceof podscale.PodscaleError)) throw e
            outcome = 'error'
          }
          if (want !== undefined) check(what, want, outcome)
          break
        }
        case 'percentile':
          if (want !== undefined) checkFloat(`${what}(${op.p})`, want, histogram.percentile(op.p))
          break
        case 'is_empty':
          if (want !== undefined) check(what, want, histogram.isEmpty())
          break
        case 'state':
          if (want !== undefined) checkState(what, want, histogram, tol, decaying)
          break
        case 'save_checkpoint':
          if (want !== undefined) checkSaved(what, want, histogram, decaying)
          break
        default:
          throw new Mismatch(`ops[${i}]: unknown op ${JSON.stringify(op.op)}`)
      }
    } catch (e) {
      if (e instanceof podscale.PodscaleError) throw new Mismatch(`${what}: ${e.message}`)
      throw e
    }
  })
}

function histogramOps(v) {
  const options = histogramOptions(v.input.options)
  const halfLife = v.input.half_life_s
  const decaying = halfLife !== null && halfLife !== undefined
  const fresh = () => new podscale.Histogram(options, decaying ? { halfLife } : undefined)
  const results = v.expected.op_results
  check('number of op_results', v.input.ops.length, results.length)
  apply(fresh(), v.input.ops, results, fresh, tolerance(v), decaying)
}

// ---- container model and aggregates -----------------------------------------------------------

function containerState(v) {
  const input = v.input
  const expected = v.expected
  const aggregate = new podscale.ContainerAggregate({ ...aggregation(input.config), trace: true })
  const container = new podscale.ContainerState()
  const accepted = input.ops.map((op) => {
    const t = ms(op.t)
    switch (op.op) {
      case 'add_cpu':
        return container.addCpuSample(aggregate, t, op.usage_m)
      case 'add_memory':
        return container.addMemorySample(aggregate, t, op.usage_bytes)
      case 'record_oom':
        return container.recordOom(aggregate, t, op.request_bytes)
      default:
        throw new Mismatch(`unknown op ${JSON.stringify(op.op)}`)
    }
  })
  check('accepted', expected.accepted, accepted)
  const calls = aggregate.histogramUpdates()
  check('number of histogram calls', expected.histogram_calls.length, calls.length)
  expected.histogram_calls.forEach((want, i) => {
    const got = calls[i]
    check(`call ${i} histogram`, want.histogram, got.histogram)
    check(`call ${i} kind`, want.call, got.call)
    checkFloat(`call ${i} value`, want.value, got.value)
    checkFloat(`call ${i} weight`, want.weight, got.weight)
    check(`call ${i} t`, ms(want.t), got.time)
  })
  const last = expected.final
  check('window end', ms(last.window_end_unix_s), container.windowEnd)
  check('memory peak', last.memory_peak_bytes, container.memoryPeak)
  check('oom peak', last.oom_peak_bytes, container.oomPeak)
}

function checkHistogram(what, want, state, tol) {
  check(`${what} min bucket`, want.min_bucket, state.minBucket)
  check(`${what} max bucket`, want.max_bucket, state.maxBucket)
  checkFloat(`${what} total weight`, want.total_weight, state.totalWeight)
  check(`${what} reference`, ms(want.reference_unix_s), state.referenceTimestamp)
  check(`${what} buckets`, want.bucket_weights.length, state.bucketWeights.length)
  want.bucket_weights.forEach(([index, weight], i) => {
    const [gotIndex, gotWeight] = state.bucketWeights[i]
    check(`${what} bucket index`, index, gotIndex)
    if (Math.abs(weight - gotWeight) > tol) throw new Mismatch(`${what} bucket ${index}: expected ${weight}, got ${gotWeight}`)
  })
}

/**
 * An aggregate whose histograms hold exactly the `[value, weight, t]` samples given: upstream's
 * test adds them to the histograms directly, which the state's plain-object form allows.
 */
function aggregateWithSamples(cpuAdds, memoryAdds) {
  const fill = (preset, adds) => {
    const h = new podscale.Histogram(new podscale.HistogramOptions({ preset }), { halfLife: 86400 })
    for (const [value, weight, t] of adds) h.addSample(value, weight, ms(t))
    return h.toJSON().decaying
  }
  const data = new podscale.ContainerAggregate().toJSON()
  data.cpu_usage = fill('cpu', cpuAdds)
  data.memory_peaks = fill('memory', memoryAdds)
  return podscale.ContainerAggregate.fromJSON(data)
}

function aggregateState(v) {
  const input = v.input
  const expected = v.expected
  switch (v.id) {
    case 'aggregate/by_container_name': {
      const t = ms(input.sample_time_unix_s)
      // Each pod's container has its own aggregate (the pods' labels differ); the VPA merges
      // them by container name into fresh aggregates.
      const byName = new Map()
      for (const p of input.pods) {
        for (const [name, usage] of Object.entries(p.containers)) {
          const aggregate = new podscale.ContainerAggregate()
          const container = new podscale.ContainerState()
          container.addCpuSample(aggregate, t, usage.cpu_m)
          container.addMemorySample(aggregate, t, usage.memory_bytes)
          if (!byName.has(name)) byName.set(name, new podscale.ContainerAggregate())
          byName.get(name).merge(aggregate)
        }
      }
      for (const [name, count] of Object.entries(expected.total_samples_count)) {
        const got = byName.get(name)
        if (!got) throw new Mismatch(`no aggregate ${name}`)
        check(`${name} samples`, count, got.totalSamplesCount)
      }
      const app = byName.get('app-A')
      checkHistogram('app-A cpu', expected['app-A'].cpu_histogram, app.histogramState('cpu'), 1e-15)
      checkHistogram('app-A memory', expected['app-A'].memory_histogram, app.histogramState('memory'), 1e-15)
      return
    }
    case 'aggregate/save_checkpoint': {
      const aggregate = aggregateWithSamples(input.cpu_adds, input.memory_adds)
      aggregate.firstSampleStart = ms(input.first_sample_start_unix_s)
      aggregate.lastSampleStart = ms(input.last_sample_start_unix_s)
      aggregate.totalSamplesCount = input.total_samples_count
      const c = aggregate.saveCheckpoint(0)
      check('version', expected.version, c.version)
      check('first sample', ms(expected.first_sample_start_unix_s), c.firstSampleStart)
      check('last sample', ms(expected.last_sample_start_unix_s), c.lastSampleStart)
      check('samples', expected.total_samples_count, c.totalSamplesCount)
      for (const [key, name] of [
        ['cpu_histogram', 'cpu'],
        ['memory_histogram', 'memory'],
      ]) {
        const want = expected[key]
        const got = c[key === 'cpu_histogram' ? 'cpuHistogram' : 'memoryHistogram']
        checkFloat(`${name} total weight`, want.total_weight, got.totalWeight)
        check(`${name} reference`, ms(want.reference_unix_s), got.referenceTimestamp ?? null)
        check(
          `${name} buckets`,
          want.bucket_weights,
          Object.entries(got.bucketWeights).map(([i, w]) => [Number(i), w]),
        )
      }
      return
    }
    case 'aggregate/is_expired': {
      const got = input.cases.map((c) => {
        const aggregate = new podscale.ContainerAggregate({
          memoryAggregationInterval: input.memory_aggregation_interval_s,
          memoryAggregationIntervalCount: input.memory_aggregation_interval_count,
        })
        aggregate.totalSamplesCount = c.total_samples_count
        if (c.last_sample_start_unix_s !== undefined) aggregate.lastSampleStart = ms(c.last_sample_start_unix_s)
        if (c.creation_time_unix_s !== undefined) aggregate.creationTime = ms(c.creation_time_unix_s)
        return aggregate.isExpired(ms(c.now_unix_s))
      })
      check('expired', expected.expired, got)
      return
    }
    default:
      throw new Mismatch(`unknown aggregate_state vector ${JSON.stringify(v.id)}`)
  }
}

// ---- estimators and the recommender ---------------------------------------------------------

function estimator(v) {
  const input = v.input
  const expected = v.expected
  if (v.id.startsWith('estimator/confidence_') && v.id !== 'estimator/confidence_multiplier_table') {
    const aggregate = new podscale.ContainerAggregate()
    for (const [t, usage] of input.cpu_samples) aggregate.addCpuSample(ms(t), usage)
    const confidence = aggregate.confidence(input.confidence_interval_s)
    checkFloat('confidence', expected.confidence, confidence)
    if (!Number.isInteger(input.exponent)) throw new Mismatch(`exponent ${input.exponent} is not an integer`)
    check('cpu', expected.cpu_m, podscale.withConfidenceMultiplier(input.base.cpu_m ?? 0, input.multiplier, input.exponent, confidence))
    check(
      'memory',
      expected.memory_bytes,
      podscale.withConfidenceMultiplier(input.base.memory_bytes ?? 0, input.multiplier, input.exponent, confidence),
    )
    return
  }
  switch (v.id) {
    case 'estimator/margin':
      check('cpu', expected.cpu_m, podscale.withMargin(input.base.cpu_m ?? 0, input.margin_fraction))
      check('memory', expected.memory_bytes, podscale.withMargin(input.base.memory_bytes ?? 0, input.margin_fraction))
      return
    case 'estimator/confidence_multiplier_table':
      input.rows.forEach((row, i) => {
        const want = expected.results[i]
        const got = podscale.withConfidenceMultiplier(row.base, row.multiplier, row.exponent, row.confidence)
        if (typeof want === 'number') check(row.label, want, got)
        // 0 × Inf is NaN, whose int64 conversion Go leaves to the platform: the vector names
        // both outcomes; podscale takes arm64's, 0.
        else if (typeof want === 'string' && want.startsWith('NaN -> int64')) {
          if (got !== 0 && got !== -9223372036854775808) throw new Mismatch(`${row.label}: expected a platform NaN conversion, got ${got}`)
        } else throw new Mismatch(`${row.label}: unreadable expectation ${JSON.stringify(want)}`)
      })
      return
    case 'estimator/memory_bucket4_pow_sensitivity': {
      const options = new podscale.HistogramOptions({ preset: 'memory' })
      const histogram = new podscale.Histogram(options)
      for (const [value, weight] of input.memory_histogram_adds) histogram.addSample(value, weight, 0)
      const value = histogram.percentile(input.percentile)
      check('percentile bits', expected.percentile_bits, bits(value))
      checkFloat('percentile', expected.percentile_value, value)
      check('bucket', expected.bucket, histogram.state().maxBucket)
      const before = podscale.memoryAmountFromBytes(value)
      check('bytes before margin', expected.memory_bytes_before_margin, before)
      check('bytes after margin', expected.memory_bytes_after_margin, podscale.withMargin(before, input.margin_fraction))
      return
    }
    default:
      throw new Mismatch(`unknown estimator vector ${JSON.stringify(v.id)}`)
  }
}

function podRecommender(v) {
  const input = v.input
  const options = { podMinCpuMillicores: input.pod_min_cpu_millicores, podMinMemoryMb: input.pod_min_memory_mb }
  const min = resourcesBack(podscale.podMinResources(input.containers, options))
  check('per-container minimum', resourcesNorm(v.expected.per_container_min), min)
  // Upstream's test stubs the estimators with constants; the minimum wraps them.
  const estimate = input.estimators_return
  const target = {
    cpu_m: podscale.withMinResource(estimate.cpu_m ?? 0, min.cpu_m ?? 0),
    memory_bytes: podscale.withMinResource(estimate.memory_bytes ?? 0, min.memory_bytes ?? 0),
  }
  check('target', resourcesNorm(v.expected.target), target)
}

function pipeline(v) {
  const input = v.input
  const expected = v.expected
  const config = input.config
  const aggregates = {}
  const accepted = {}
  for (const container of input.containers) {
    const aggregate = new podscale.ContainerAggregate(aggregation(config))
    accepted[container.name] = container.streams.map((stream) => {
      // One pod's instance of the container, feeding the shared aggregate.
      const state = new podscale.ContainerState()
      return stream.map(([kind, t, amount]) => {
        if (kind === 'cpu') return state.addCpuSample(aggregate, ms(t), amount)
        if (kind === 'memory') return state.addMemorySample(aggregate, ms(t), amount)
        if (kind === 'oom') return state.recordOom(aggregate, ms(t), amount)
        throw new Mismatch(`unknown event ${JSON.stringify(kind)}`)
      })
    })
    aggregates[container.name] = aggregate
  }
  const options = recommender(config)
  const list = podscale.recommend(aggregates, options)
  const min = resourcesBack(podscale.podMinResources(input.containers.length, options))
  for (const [name, aggregate] of Object.entries(aggregates)) {
    const want = field(expected, name)
    const got = list.find((r) => r.containerName === name)
    if (!got) throw new Mismatch(`no recommendation for ${name}`)
    check(`${name} target`, resourcesNorm(want.target), resourcesBack(got.target))
    check(`${name} lower bound`, resourcesNorm(want.lower_bound), resourcesBack(got.lowerBound))
    check(`${name} upper bound`, resourcesNorm(want.upper_bound), resourcesBack(got.upperBound))
    check(`${name} uncapped target`, resourcesBack(got.target), resourcesBack(got.uncappedTarget))
    const inter = field(want, 'intermediate')
    check(`${name} samples`, inter.total_samples_count, aggregate.totalSamplesCount)
    check(`${name} first sample`, ms(inter.first_sample_start_unix_s), aggregate.firstSampleStart)
    check(`${name} last sample`, ms(inter.last_sample_start_unix_s), aggregate.lastSampleStart)
    checkFloat(`${name} confidence`, inter.confidence, aggregate.confidence(config.confidence_interval_cpu_s))
    for (const [key, resource] of [
      ['cpu_percentile_cores', 'cpu'],
      ['memory_percentile_bytes', 'memory'],
    ]) {
      for (const [p, value] of Object.entries(inter[key])) {
        checkFloat(`${name} ${key} ${p}`, value, aggregate.percentile(resource, Number(p)))
      }
    }
    check(`${name} cpu reference`, ms(inter.cpu_histogram_reference_unix_s), aggregate.histogramState('cpu').referenceTimestamp)
    check(`${name} memory reference`, ms(inter.memory_histogram_reference_unix_s), aggregate.histogramState('memory').referenceTimestamp)
    check(`${name} per-container minimum`, resourcesNorm(inter.per_container_min), min)
    if (inter.accepted) check(`${name} accepted`, inter.accepted, accepted[name])
  }
}

// ---- post-processing ------------------------------------------------------------------------

function resourceConversion(v) {
  const cases = v.input.cases
  const results = v.expected.results
  check('number of results', cases.length, results.length)
  cases.forEach((c, i) => {
    const what = `case ${i}`
    const want = results[i]
    switch (v.id) {
      case 'conv/cores_from_cpu_amount':
        checkFloat(what, want, podscale.coresFromCpuAmount(c.cpu_m))
        break
      case 'conv/scale_resource':
      case 'conv/scale_resource_clamp':
        // int64 results beyond 2^53 arrive as the nearest double, as every int64 in JavaScript.
        check(what, Number(want), podscale.scaleResource(Number(c.amount), c.factor))
        break
      case 'conv/round_up_to_scale': {
        let got = c.value
        let error = null
        try {
          got = podscale.roundUpToScale(c.value, c.scale)
        } catch (e) {
          if (!(e instanceof podscale.ValidationError)) throw e
          // Upstream returns the value unchanged with its error.
          error = e
        }
        check(what, want.value, got)
        const wantError = typeof want.error === 'string' ? want.error : null
        check(`${what} error`, wantError !== null, error !== null)
        if (wantError !== null && !error.detail.startsWith(wantError)) {
          throw new Mismatch(`${what}: error ${error.detail} does not start with ${JSON.stringify(wantError)}`)
        }
        break
      }
      case 'conv/resources_as_resource_list': {
        const got = podscale.resourcesAsResourceList(resources({ cpu_m: c.cpu_m, memory_bytes: c.memory_bytes }), {
          humanizeMemory: c.humanize,
          roundCpuMillicores: c.round_cpu_millicores,
          roundMemoryBytes: c.round_memory_bytes,
        })
        check(`${what} cpu`, big(want.cpu_m), got.cpu === null ? null : BigInt(podscale.parseQuantity(got.cpu)))
        if (typeof want.memory_quantity === 'string') check(`${what} memory quantity`, want.memory_quantity, got.memory)
        const key = 'memory_value_bytes_ceil' in want ? 'memory_value_bytes_ceil' : 'memory_bytes'
        const bytes = got.memoryBytes === null ? null : podscale.parseQuantity(got.memoryBytes, { milli: false })
        check(`${what} ${key}`, want[key], bytes)
        break
      }
      case 'conv/humanize_memory_quantity':
        check(what, want, podscale.humanizeMemory(c.bytes))
        break
      default:
        throw new Mismatch(`unknown resource_conversion vector ${JSON.stringify(v.id)}`)
    }
  })
}

function capping(v) {
  const input = v.input
  const expected = v.expected
  const fn = input.function
  const recs = recommendations(input.recommendation)
  if (fn.startsWith('ApplyVPAPolicy')) {
    const got = podscale.applyVpaPolicy(recs, policy(input.policy) ?? null, resources(input.global_max_allowed))
    checkRecommendations(expected.recommendation, got)
    return
  }
  if (fn.startsWith('applyPodLimitRange')) {
    const m = /field=(\w+)\)/.exec(fn)
    if (!m) throw new Mismatch('no field in function')
    const bound = { Target: 'target', LowerBound: 'lowerBound', UpperBound: 'upperBound' }[m[1]]
    if (!bound) throw new Mismatch(`unknown field ${JSON.stringify(m[1])}`)
    const got = podscale.applyPodLimitRange(recs, pod(input.pod), limitRange(input.pod_limit_range), {
      resource: input.resource,
      bound,
    })
    checkRecommendations(expected.recommendation, got)
    return
  }
  if (fn !== 'cappingRecommendationProcessor.Apply') throw new Mismatch(`unknown capping function ${JSON.stringify(fn)}`)
  const got = podscale.applyCapping(recs, pod(input.pod), {
    policy: policy(input.policy),
    containerLimitRange: limitRange(input.container_limit_range),
    podLimitRange: limitRange(input.pod_limit_range),
  })
  if (got === null) {
    check('recommendation', true, expected.recommendation === null || expected.recommendation === undefined)
    check('annotations', null, expected.annotations)
    return
  }
  if (!expected.recommendation) throw new Mismatch('expected no recommendation')
  checkRecommendations(expected.recommendation, got.recommendations)
  // Annotations are unordered sets per container (Go iterates maps).
  const sets = (map) =>
    Object.fromEntries(
      Object.entries(map ?? {})
        .filter(([, list]) => list.length > 0)
        .map(([k, list]) => [k, [...new Set(list)].sort()]),
    )
  check('annotations', sets(expected.annotations), sets(got.annotations))
}

function proportionalLimit(v) {
  const input = v.input
  const quantity = (key) => (input[key] === null || input[key] === undefined ? undefined : milli(input[key]))
  const got = podscale.proportionalLimit({
    resource: input.resource,
    originalLimit: quantity('original_limit_milli'),
    originalRequest: quantity('original_request_milli'),
    recommendedRequest: quantity('recommended_request_milli'),
    defaultLimit: quantity('default_limit_milli'),
  })
  check('annotation', v.expected.annotation, got.annotation !== null && got.annotation !== undefined)
  const limit = v.expected.limit
  if (limit === null) {
    check('limit', null, got.limit ?? null)
    return
  }
  if (got.limit === null || got.limit === undefined) throw new Mismatch('expected a limit, got none')
  // Exactly, past 2^53: int64 extremes are what these vectors test.
  const exact = /^[0-9]+m?$/.test(got.limit)
  if ('milli' in limit) {
    check('limit (milli)', big(limit.milli), exact ? milliOf(got.limit) : BigInt(podscale.parseQuantity(got.limit)))
  } else {
    const units = exact && !got.limit.endsWith('m') ? BigInt(got.limit) : BigInt(podscale.parseQuantity(got.limit, { milli: false }))
    check('limit (units)', big(limit.value_units), units)
  }
}

function priority(p) {
  return { outsideRecommendedRange: p.outside_recommended_range, scaleUp: p.scale_up, resourceDiff: p.resource_diff }
}

function updatePriority(v) {
  const input = v.input
  const expected = v.expected
  const fn = input.function
  if (fn === 'defaultPriorityProcessor.GetUpdatePriority') {
    const got = podscale.updatePriority(pod(input.pod), recommendations(input.recommendation) ?? [])
    check('outside_recommended_range', expected.outside_recommended_range, got.outsideRecommendedRange)
    check('scale_up', expected.scale_up, got.scaleUp)
    checkFloat('resource_diff', expected.resource_diff, got.resourceDiff)
    return
  }
  if (fn === 'PodPriority.Less') {
    const prioLess = []
    const otherLess = []
    for (const c of input.cases) {
      prioLess.push(podscale.priorityLess(priority(c.prio), priority(c.other)))
      otherLess.push(podscale.priorityLess(priority(c.other), priority(c.prio)))
    }
    check('prio_less_other', expected.prio_less_other, prioLess)
    check('other_less_prio', expected.other_less_prio, otherLess)
    return
  }
  if (!fn.startsWith('UpdatePriorityCalculator.AddPod')) throw new Mismatch(`unknown update_priority function ${JSON.stringify(fn)}`)
  const config = input.config
  const candidates = input.pods.map((p) => {
    // The pod is `age_s` old now (now is 0 here, so it started `age_s` ago). An OOM, if any,
    // ended `oom_run_s` after its container started.
    let quickOom = false
    if (p.oom_run_s !== undefined) {
      const oomPod = {
        spec: { containers: [{ name: 'c' }] },
        status: {
          containerStatuses: [
            { name: 'c', lastState: { terminated: { reason: 'OOMKilled', startedAt: 0, finishedAt: ms(p.oom_run_s) } } },
          ],
        },
      }
      quickOom = podscale.isQuickOom(oomPod, { threshold: config.evict_after_oom_threshold_s })
    }
    if (typeof p.quick_oom === 'boolean') check(`${p.name} quick OOM`, p.quick_oom, quickOom)
    return { name: p.name, priority: priority(p.priority), startTime: -ms(p.age_s), quickOom }
  })
  const order = podscale.evictionOrder(candidates, {
    now: 0,
    minChangePriority: config.min_change_priority,
    podLifetimeUpdateThreshold: config.pod_lifetime_update_threshold_s,
    evictAfterOomThreshold: config.evict_after_oom_threshold_s,
  })
  check('evicted_in_order', expected.evicted_in_order, order)
}

const SUITES = {
  histogram_options: histogramOptionsSuite,
  histogram: histogramOps,
  checkpoint: histogramOps,
  decaying_histogram: histogramOps,
  container_state: containerState,
  aggregate_state: aggregateState,
  estimator,
  pod_recommender: podRecommender,
  pipeline,
  resource_conversion: resourceConversion,
  capping,
  proportional_limit: proportionalLimit,
  update_priority: updatePriority,
}

/** Runs one `vpa` vector; throws a Mismatch when it does not hold. */
function run(v) {
  const suite = SUITES[v.suite]
  if (!suite) throw new Mismatch(`unknown vpa suite ${JSON.stringify(v.suite)}`)
  try {
    suite(v)
  } catch (e) {
    if (e instanceof podscale.PodscaleError) throw new Mismatch(e.message)
    throw e
  }
}

module.exports = { run }
