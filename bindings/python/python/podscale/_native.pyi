# The native module (Rust, pyo3). Hand-written: `python -m mypy.stubtest podscale` checks these
# against the module. Dicts use the manifests' camelCase names; instants are Unix milliseconds
# on the way out, and aware datetimes, numpy.datetime64, RFC 3339 text or Unix milliseconds on
# the way in; durations are seconds, timedelta or Go text ("1m30s").

import datetime
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union, final

import numpy as np
import numpy.typing as npt
from typing_extensions import disjoint_base

_Instant = Union[int, datetime.datetime, np.datetime64, str]
_Duration = Union[int, float, datetime.timedelta, str]
_Quantity = Union[str, int, float]
_Json = Dict[str, Any]

__all__ = [
    "ContainerAggregate",
    "ContainerState",
    "CronSchedule",
    "CronTrigger",
    "Decision",
    "Histogram",
    "HistogramOptions",
    "HorizontalPodAutoscaler",
    "HpaState",
    "REPLAY_REASONS",
    "ResourcePolicy",
    "ScaledObject",
    "ScaledObjectState",
    "__version__",
    "_replay_recommendations",
    "_simulate",
    "apply_capping",
    "apply_pod_limit_range",
    "apply_vpa_policy",
    "calculate_replicas",
    "cores_from_cpu_amount",
    "cpu_amount_from_cores",
    "default_behavior",
    "eviction_order",
    "format_quantity",
    "group_pods",
    "humanize_memory",
    "is_quick_oom",
    "limit_replicas_legacy",
    "limit_replicas_with_behavior",
    "memory_amount_from_bytes",
    "parse_quantity",
    "pod_min_resources",
    "priority_less",
    "proportional_limit",
    "recommend",
    "replicas_change_per_period",
    "resources_as_resource_list",
    "round_up_to_scale",
    "scale_limit",
    "scale_resource",
    "stabilize",
    "store_scale_event",
    "to_unix_ms",
    "update_priority",
    "with_confidence_multiplier",
    "with_margin",
    "with_min_resource",
]
__version__: str
REPLAY_REASONS: List[str]

def parse_quantity(quantity: _Quantity, *, milli: bool = True) -> int: ...
def format_quantity(amount: int, resource: str = "cpu") -> str: ...
def to_unix_ms(value: _Instant) -> int: ...

# ---- HPA ------------------------------------------------------------------------------------

@disjoint_base
class HpaState:
    def __new__(cls) -> HpaState: ...
    @property
    def desired_replicas(self) -> int: ...
    @property
    def last_scale_time(self) -> Optional[int]: ...
    @property
    def conditions(self) -> List[_Json]: ...
    def to_dict(self) -> _Json: ...
    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> HpaState: ...
    def __getstate__(self) -> _Json: ...
    def __setstate__(self, state: Mapping[str, Any]) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Decision:
    @property
    def current_replicas(self) -> int: ...
    @property
    def desired_replicas(self) -> int: ...
    @property
    def rescale(self) -> bool: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def reason_metric(self) -> Optional[int]: ...
    @property
    def metric_replicas(self) -> Optional[int]: ...
    @property
    def metrics(self) -> List[_Json]: ...
    @property
    def conditions(self) -> List[_Json]: ...
    def condition(self, kind: str) -> Optional[_Json]: ...
    def to_dict(self) -> _Json: ...
    def __eq__(self, other: object, /) -> bool: ...

@disjoint_base
class HorizontalPodAutoscaler:
    def __new__(
        cls,
        spec: Mapping[str, Any],
        *,
        controller: Optional[Mapping[str, Any]] = None,
        pod_template: Optional[Mapping[str, Any]] = None,
        validate: bool = True,
    ) -> HorizontalPodAutoscaler: ...
    @property
    def behavior(self) -> Optional[_Json]: ...
    @property
    def min_replicas(self) -> int: ...
    @property
    def max_replicas(self) -> int: ...
    def decide(
        self,
        state: HpaState,
        observation: Optional[Mapping[str, Any]] = None,
        *,
        now: _Instant,
        replicas: Optional[int] = None,
        usage: Optional[_Quantity] = None,
    ) -> Decision: ...
    def _replay(
        self,
        state: HpaState,
        times: npt.NDArray[np.int64],
        *,
        usage: Optional[npt.NDArray[np.float64]] = None,
        total: Optional[npt.NDArray[np.float64]] = None,
        per_pod: Optional[npt.NDArray[np.float64]] = None,
        replicas: Optional[npt.NDArray[np.int64]] = None,
        initial_replicas: Optional[int] = None,
    ) -> Dict[str, np.ndarray]: ...

def default_behavior(behavior: Mapping[str, Any]) -> _Json: ...
def group_pods(
    *,
    pods: Sequence[Mapping[str, Any]],
    pod_metrics: Sequence[Mapping[str, Any]] = ...,
    resource: Optional[str] = ...,
    cpu_initialization_period: Optional[_Duration] = ...,
    initial_readiness_delay: Optional[_Duration] = ...,
    now: Optional[_Instant] = ...,
) -> _Json: ...
def calculate_replicas(
    *,
    current_replicas: int,
    metric: Mapping[str, Any],
    tolerance: Optional[float] = ...,
    scale_up_tolerance: Optional[float] = ...,
    scale_down_tolerance: Optional[float] = ...,
    cpu_initialization_period: Optional[_Duration] = ...,
    initial_readiness_delay: Optional[_Duration] = ...,
    pods: Sequence[Mapping[str, Any]] = ...,
    pod_metrics: Sequence[Mapping[str, Any]] = ...,
    pods_metrics: Sequence[Mapping[str, Any]] = ...,
    object_value: Optional[_Quantity] = ...,
    external_values: Sequence[_Quantity] = ...,
    now: Optional[_Instant] = ...,
) -> _Json: ...
def limit_replicas_legacy(
    *,
    current_replicas: int,
    desired_replicas: int,
    min_replicas: int,
    max_replicas: int,
    scale_up_limit_factor: Optional[float] = ...,
    scale_up_limit_minimum: Optional[float] = ...,
) -> _Json: ...
def limit_replicas_with_behavior(
    *,
    current_replicas: int,
    desired_replicas: int,
    min_replicas: int,
    max_replicas: int,
    scale_up: Optional[Mapping[str, Any]] = ...,
    scale_down: Optional[Mapping[str, Any]] = ...,
    scale_up_events: Sequence[Mapping[str, Any]] = ...,
    scale_down_events: Sequence[Mapping[str, Any]] = ...,
    now: Optional[_Instant] = ...,
) -> _Json: ...
def scale_limit(
    *,
    direction: Literal["ScaleUp", "ScaleDown"],
    current_replicas: int,
    rules: Mapping[str, Any],
    scale_up_events: Sequence[Mapping[str, Any]] = ...,
    scale_down_events: Sequence[Mapping[str, Any]] = ...,
    now: Optional[_Instant] = ...,
) -> int: ...
def replicas_change_per_period(*, period_seconds: int, events: Sequence[Mapping[str, Any]], now: Optional[_Instant] = ...) -> int: ...
def store_scale_event(
    *, events: Sequence[Mapping[str, Any]], rules: Mapping[str, Any], replica_change: int, now: Optional[_Instant] = ...
) -> List[_Json]: ...
def stabilize(
    *,
    recommendations: Sequence[Mapping[str, Any]],
    desired_replicas: int,
    window: Optional[_Duration] = ...,
    current_replicas: Optional[int] = ...,
    scale_up_window: Optional[_Duration] = ...,
    scale_down_window: Optional[_Duration] = ...,
    now: Optional[_Instant] = ...,
) -> _Json: ...

# ---- KEDA -----------------------------------------------------------------------------------

@final
class CronSchedule:
    def __new__(cls, expression: str) -> CronSchedule: ...
    @property
    def expression(self) -> str: ...
    def next_after(self, after: _Instant, timezone: str = "Etc/UTC") -> Optional[int]: ...
    def previous_at_or_before(self, at: _Instant, timezone: str = "Etc/UTC") -> Optional[int]: ...
    def _next_after_many(self, after: npt.NDArray[np.int64], timezone: str = "Etc/UTC") -> npt.NDArray[np.int64]: ...

@disjoint_base
class CronTrigger:
    def __new__(
        cls,
        metadata: Mapping[str, str],
        *,
        index: int = 0,
        window_mode: Optional[Literal["Keda", "Civil"]] = None,
        metric_name_form: Optional[Literal["Current", "BeforeV2_20"]] = None,
    ) -> CronTrigger: ...
    @property
    def metric_name(self) -> str: ...
    @property
    def desired_replicas(self) -> int: ...
    def check_zone(self) -> None: ...
    def evaluate(self, now: _Instant) -> _Json: ...
    def _evaluate_many(self, times: npt.NDArray[np.int64]) -> Dict[str, np.ndarray]: ...

@disjoint_base
class ScaledObjectState:
    def __new__(cls, *, last_active_time: Optional[_Instant] = None) -> ScaledObjectState: ...
    @property
    def last_active_time(self) -> Optional[int]: ...
    def to_dict(self) -> _Json: ...
    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> ScaledObjectState: ...
    def __getstate__(self) -> _Json: ...
    def __setstate__(self, state: Mapping[str, Any]) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...

@disjoint_base
class ScaledObject:
    def __new__(cls, manifest: Mapping[str, Any]) -> ScaledObject: ...
    def validate(self) -> None: ...
    @property
    def hpa_bounds(self) -> Tuple[int, int]: ...
    @property
    def hpa_name(self) -> str: ...
    @property
    def annotations(self) -> _Json: ...
    @property
    def paused_replicas(self) -> Optional[int]: ...
    def generated_hpa(self) -> _Json: ...
    def poll(self, state: ScaledObjectState, triggers: Sequence[Mapping[str, Any]], *, replicas: int, now: _Instant) -> _Json: ...

# ---- VPA ------------------------------------------------------------------------------------

@final
class HistogramOptions:
    def __new__(
        cls,
        *,
        preset: Optional[Literal["cpu", "memory"]] = ...,
        type: Optional[Literal["linear", "exponential"]] = ...,
        max_value: Optional[float] = ...,
        bucket_size: Optional[float] = ...,
        first_bucket_size: Optional[float] = ...,
        ratio: Optional[float] = ...,
        epsilon: Optional[float] = ...,
    ) -> HistogramOptions: ...
    def __getnewargs_ex__(self) -> Tuple[Tuple[()], Dict[str, Any]]: ...
    @property
    def num_buckets(self) -> int: ...
    def find_bucket(self, value: float) -> int: ...
    def bucket_start(self, bucket: int) -> Optional[float]: ...

@disjoint_base
class Histogram:
    def __new__(cls, options: HistogramOptions, *, half_life: Optional[_Duration] = None) -> Histogram: ...
    def __getnewargs__(self) -> Tuple[HistogramOptions]: ...
    def add_sample(self, value: float, weight: float = 1.0, time: Optional[_Instant] = None) -> None: ...
    def subtract_sample(self, value: float, weight: float = 1.0, time: Optional[_Instant] = None) -> None: ...
    def merge(self, other: Histogram) -> None: ...
    def percentile(self, percentile: float) -> float: ...
    def is_empty(self) -> bool: ...
    def state(self) -> _Json: ...
    def save_checkpoint(self) -> _Json: ...
    def load_checkpoint(self, checkpoint: Mapping[str, Any]) -> None: ...
    def to_dict(self) -> _Json: ...
    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Histogram: ...
    def __getstate__(self) -> _Json: ...
    def __setstate__(self, state: Mapping[str, Any]) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...

@disjoint_base
class ContainerAggregate:
    def __new__(
        cls,
        *,
        creation_time: Optional[_Instant] = None,
        trace: bool = False,
        memory_aggregation_interval: Optional[_Duration] = ...,
        memory_aggregation_interval_count: Optional[int] = ...,
        oom_bump_up_ratio: Optional[float] = ...,
        oom_min_bump_up_bytes: Optional[float] = ...,
        cpu_histogram_decay_half_life: Optional[_Duration] = ...,
        memory_histogram_decay_half_life: Optional[_Duration] = ...,
    ) -> ContainerAggregate: ...
    def histogram_updates(self) -> List[_Json]: ...
    def add_cpu_sample(self, time: _Instant, cpu: int) -> None: ...
    def add_memory_sample(self, time: _Instant, memory: int) -> None: ...
    def merge(self, other: ContainerAggregate) -> None: ...
    def is_expired(self, now: _Instant) -> bool: ...
    def confidence(self, interval: _Duration) -> float: ...
    def percentile(self, resource: Literal["cpu", "memory"], percentile: float) -> float: ...
    def histogram_state(self, resource: Literal["cpu", "memory"]) -> _Json: ...
    def save_checkpoint(self, now: _Instant) -> _Json: ...
    def load_checkpoint(self, checkpoint: Mapping[str, Any]) -> None: ...
    @property
    def total_samples_count(self) -> int: ...
    @total_samples_count.setter
    def total_samples_count(self, value: int) -> None: ...
    @property
    def first_sample_start(self) -> int: ...
    @first_sample_start.setter
    def first_sample_start(self, value: _Instant) -> None: ...
    @property
    def last_sample_start(self) -> int: ...
    @last_sample_start.setter
    def last_sample_start(self, value: _Instant) -> None: ...
    @property
    def creation_time(self) -> int: ...
    @creation_time.setter
    def creation_time(self, value: _Instant) -> None: ...
    def to_dict(self) -> _Json: ...
    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> ContainerAggregate: ...
    def __getstate__(self) -> _Json: ...
    def __setstate__(self, state: Mapping[str, Any]) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...

@disjoint_base
class ContainerState:
    def __new__(cls) -> ContainerState: ...
    def add_cpu_sample(self, aggregate: ContainerAggregate, time: _Instant, cpu: int) -> bool: ...
    def add_memory_sample(self, aggregate: ContainerAggregate, time: _Instant, memory: int) -> bool: ...
    def record_oom(self, aggregate: ContainerAggregate, time: _Instant, request: int) -> bool: ...
    def _add_samples(
        self,
        aggregate: ContainerAggregate,
        times: npt.NDArray[np.int64],
        cpu: Optional[npt.NDArray[np.float64]] = None,
        memory: Optional[npt.NDArray[np.float64]] = None,
    ) -> Tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]: ...
    @property
    def window_end(self) -> int: ...
    @property
    def memory_peak(self) -> int: ...
    @property
    def oom_peak(self) -> int: ...
    def to_dict(self) -> _Json: ...
    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> ContainerState: ...
    def __getstate__(self) -> _Json: ...
    def __setstate__(self, state: Mapping[str, Any]) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class ResourcePolicy:
    def __new__(cls, resource_policy: Mapping[str, Any]) -> ResourcePolicy: ...
    def scaling_mode(self, container: str) -> str: ...

def recommend(
    containers: Union[Mapping[str, ContainerAggregate], Sequence[Tuple[str, ContainerAggregate]]],
    *,
    target_cpu_percentile: Optional[float] = ...,
    lower_bound_cpu_percentile: Optional[float] = ...,
    upper_bound_cpu_percentile: Optional[float] = ...,
    target_memory_percentile: Optional[float] = ...,
    lower_bound_memory_percentile: Optional[float] = ...,
    upper_bound_memory_percentile: Optional[float] = ...,
    safety_margin_fraction: Optional[float] = ...,
    pod_min_cpu_millicores: Optional[float] = ...,
    pod_min_memory_mb: Optional[float] = ...,
    confidence_interval_cpu: Optional[_Duration] = ...,
    confidence_interval_memory: Optional[_Duration] = ...,
) -> List[_Json]: ...
def apply_vpa_policy(
    recommendations: Sequence[Mapping[str, Any]],
    policy: Optional[ResourcePolicy] = None,
    global_max_allowed: Optional[Mapping[str, Any]] = None,
) -> List[_Json]: ...
def apply_pod_limit_range(
    recommendations: Sequence[Mapping[str, Any]],
    pod: Mapping[str, Any],
    limit_range: Mapping[str, Any],
    *,
    resource: Literal["cpu", "memory"],
    bound: Literal["target", "lowerBound", "upperBound"],
) -> List[_Json]: ...
def apply_capping(
    recommendations: Optional[Sequence[Mapping[str, Any]]],
    pod: Mapping[str, Any],
    *,
    policy: Optional[ResourcePolicy] = None,
    container_limit_range: Optional[Mapping[str, Any]] = None,
    pod_limit_range: Optional[Mapping[str, Any]] = None,
) -> Optional[_Json]: ...
def proportional_limit(
    *,
    resource: Literal["cpu", "memory"],
    original_limit: Optional[_Quantity] = ...,
    original_request: Optional[_Quantity] = ...,
    recommended_request: Optional[_Quantity] = ...,
    default_limit: Optional[_Quantity] = ...,
) -> _Json: ...
def update_priority(pod: Mapping[str, Any], recommendations: Sequence[Mapping[str, Any]]) -> _Json: ...
def priority_less(priority: Mapping[str, Any], other: Mapping[str, Any]) -> bool: ...
def is_quick_oom(pod: Mapping[str, Any], *, threshold: Optional[_Duration] = None, policy: Optional[ResourcePolicy] = None) -> bool: ...
def eviction_order(
    candidates: Sequence[Mapping[str, Any]],
    *,
    now: _Instant,
    min_change_priority: Optional[float] = ...,
    pod_lifetime_update_threshold: Optional[_Duration] = ...,
    evict_after_oom_threshold: Optional[_Duration] = ...,
) -> List[str]: ...
def resources_as_resource_list(
    resources: Mapping[str, Any],
    *,
    humanize_memory: bool = ...,
    round_cpu_millicores: Optional[int] = ...,
    round_memory_bytes: Optional[int] = ...,
) -> _Json: ...
def humanize_memory(bytes: int) -> str: ...
def with_margin(base: int, fraction: float) -> int: ...
def with_confidence_multiplier(base: int, multiplier: float, exponent: int, confidence: float) -> int: ...
def with_min_resource(amount: int, minimum: int) -> int: ...
def pod_min_resources(
    containers: int,
    *,
    pod_min_cpu_millicores: Optional[float] = ...,
    pod_min_memory_mb: Optional[float] = ...,
    **options: Any,
) -> _Json: ...
def memory_amount_from_bytes(bytes: float) -> int: ...
def cpu_amount_from_cores(cores: float) -> int: ...
def cores_from_cpu_amount(cpu: int) -> float: ...
def scale_resource(amount: int, factor: float) -> int: ...
def round_up_to_scale(value: int, scale: int) -> int: ...
def _replay_recommendations(
    times: npt.NDArray[np.int64],
    cpu: Optional[npt.NDArray[np.float64]],
    memory: Optional[npt.NDArray[np.float64]],
    *,
    container: str,
    every: _Duration,
    policy: Optional[ResourcePolicy] = None,
    aggregation: Optional[Mapping[str, Any]] = None,
    recommender: Optional[Mapping[str, Any]] = None,
) -> Dict[str, np.ndarray]: ...

# ---- the simulator --------------------------------------------------------------------------

def _simulate(
    manifests: Sequence[Tuple[str, str]],
    *,
    demand_format: str,
    demand_name: str = "demand",
    demand_text: Optional[str] = None,
    column: Optional[str] = None,
    times: Optional[npt.NDArray[np.int64]] = None,
    values: Optional[npt.NDArray[np.int64]] = None,
    relative: bool = False,
    **options: Any,
) -> Dict[str, Any]: ...
