// The package for ECMAScript modules: the CommonJS loader (index.js) re-exported by name.
// Named exports of a CommonJS module are only those Node can see statically; the error classes
// and Decision are defined at load time, so every name is listed here (test/esm.test.mjs keeps
// the list complete).

import podscale from './index.js'

export const {
  ContainerAggregate,
  ContainerState,
  CronSchedule,
  CronTrigger,
  Decision,
  Histogram,
  HistogramOptions,
  HorizontalPodAutoscaler,
  HpaState,
  PodscaleError,
  ResourcePolicy,
  ScaledObject,
  ScaledObjectState,
  ValidationError,
  applyCapping,
  applyPodLimitRange,
  applyVpaPolicy,
  calculateReplicas,
  coresFromCpuAmount,
  cpuAmountFromCores,
  defaultBehavior,
  evictionOrder,
  formatQuantity,
  groupPods,
  humanizeMemory,
  isQuickOom,
  limitReplicasLegacy,
  limitReplicasWithBehavior,
  memoryAmountFromBytes,
  parseQuantity,
  podMinResources,
  priorityLess,
  proportionalLimit,
  recommend,
  replayRecommendations,
  replicasChangePerPeriod,
  resourcesAsResourceList,
  roundUpToScale,
  scaleLimit,
  scaleResource,
  simulate,
  stabilize,
  storeScaleEvent,
  toUnixMs,
  updatePriority,
  withConfidenceMultiplier,
  withMargin,
  withMinResource,
} = podscale

export default podscale
