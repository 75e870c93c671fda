package main

// The VPA family, part 2: the container model (pkg/recommender/model) and the pod recommender
// (pkg/recommender/logic).
//
// "vpa_recommend": per container name, usage events go through ContainerState.AddSample and
// ContainerState.RecordOOM into AggregateContainerStates made by NewAggregateContainerState
// (under an AggregationsConfig installed with InitializeAggregationsConfig); then
// CreatePodResourceRecommender(config).GetRecommendedPodResources answers target, lower and
// upper bound.
//
// "vpa_resources_as_resource_list": model.ResourcesAsResourceList, read back with Quantity.MilliValue(),
// Value() and String().

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	vpa_types "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/logic"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/model"
)

func init() {
	registerCase("vpa_recommend", runRecommendCase)
	registerCase("vpa_resources_as_resource_list", func(c resourceListCase) (resourceListAnswer, error) {
		return runResourceListCase(c), nil
	})
}

// aggregationCase is model.NewAggregationsConfig's arguments.
type aggregationCase struct {
	MemoryAggregationIntervalMs    int64   `json:"memory_aggregation_interval_ms"`
	MemoryAggregationIntervalCount int64   `json:"memory_aggregation_interval_count"`
	OOMBumpUpRatio                 float64 `json:"oom_bump_up_ratio"`
	OOMMinBumpUpBytes              float64 `json:"oom_min_bump_up_bytes"`
	CPUHistogramDecayHalfLifeMs    int64   `json:"cpu_histogram_decay_half_life_ms"`
	MemoryHistogramDecayHalfLifeMs int64   `json:"memory_histogram_decay_half_life_ms"`
}

// recommenderCase is logic.RecommendationConfig.
type recommenderCase struct {
	TargetCPUPercentile        float64 `json:"target_cpu_percentile"`
	LowerBoundCPUPercentile    float64 `json:"lower_bound_cpu_percentile"`
	UpperBoundCPUPercentile    float64 `json:"upper_bound_cpu_percentile"`
	TargetMemoryPercentile     float64 `json:"target_memory_percentile"`
	LowerBoundMemoryPercentile float64 `json:"lower_bound_memory_percentile"`
	UpperBoundMemoryPercentile float64 `json:"upper_bound_memory_percentile"`
	SafetyMarginFraction       float64 `json:"safety_margin_fraction"`
	PodMinCPUMillicores        float64 `json:"pod_min_cpu_millicores"`
	PodMinMemoryMb             float64 `json:"pod_min_memory_mb"`
	ConfidenceIntervalCPUMs    int64   `json:"confidence_interval_cpu_ms"`
	ConfidenceIntervalMemoryMs int64   `json:"confidence_interval_memory_ms"`
}

// usageEvent is one input to a ContainerState: a cpu sample (millicores), a memory sample
// (bytes) or an OOM (the container's memory request, bytes).
type usageEvent struct {
	// Which aggregate (label set) and which container instance (pod) within it.
	Aggregate int    `json:"aggregate"`
	Instance  int    `json:"instance"`
	Kind      string `json:"kind"`
	TMs       int64  `json:"t_ms"`
	Amount    int64  `json:"amount"`
}

type containerCase struct {
	Name string `json:"name"`
	// Auto or Off; Off containers leave the map, as routines/vpa.go's
	// GetContainerNameToAggregateStateMap does before the recommender sees it.
	Mode string `json:"mode"`
	// Nil: the default (cpu and memory).
	ControlledResources *[]string `json:"controlled_resources"`
	// How many aggregates (label sets) feed this container name, and how many container
	// instances each.
	Aggregates []int `json:"aggregates"`
	// Merge the aggregates into a fresh NewAggregateContainerState (the recommender's
	// AggregateStateByContainerName); without it there must be one aggregate, used as is.
	Merge  bool         `json:"merge"`
	Events []usageEvent `json:"events"`
}

type recommendCase struct {
	Aggregation aggregationCase `json:"aggregation"`
	Recommender recommenderCase `json:"recommender"`
	Containers  []containerCase `json:"containers"`
}

// resourcesAnswer is a model.Resources; absent resources stay absent.
type resourcesAnswer struct {
	CPUm        *int64 `json:"cpu_m"`
	MemoryBytes *int64 `json:"memory_bytes"`
}

type containerAnswer struct {
	Name       string          `json:"name"`
	Target     resourcesAnswer `json:"target"`
	LowerBound resourcesAnswer `json:"lower_bound"`
	UpperBound resourcesAnswer `json:"upper_bound"`
}

type recommendAnswer struct {
	// Per container (in case order), per event: AddSample's result, or for an OOM whether
	// RecordOOM returned no error.
	Accepted   [][]bool          `json:"accepted"`
	Containers []containerAnswer `json:"containers"`
}

func answerResources(r model.Resources) resourcesAnswer {
	var a resourcesAnswer
	if v, ok := r[model.ResourceCPU]; ok {
		cpu := int64(v)
		a.CPUm = &cpu
	}
	if v, ok := r[model.ResourceMemory]; ok {
		memory := int64(v)
		a.MemoryBytes = &memory
	}
	return a
}

func ms(d int64) time.Duration {
	return time.Duration(d) * time.Millisecond
}

func runRecommendCase(c recommendCase) (answer recommendAnswer, fault error) {
	defer func() {
		if p := recover(); p != nil {
			fault = fmt.Errorf("upstream panicked: %v", p)
		}
	}()
	a := c.Aggregation
	model.InitializeAggregationsConfig(model.NewAggregationsConfig(
		ms(a.MemoryAggregationIntervalMs), a.MemoryAggregationIntervalCount,
		ms(a.MemoryHistogramDecayHalfLifeMs), ms(a.CPUHistogramDecayHalfLifeMs),
		a.OOMBumpUpRatio, a.OOMMinBumpUpBytes))
	defer model.InitializeAggregationsConfig(nil) // back to the defaults for other ops

	states := make(model.ContainerNameToAggregateStateMap)
	answer.Accepted = make([][]bool, 0, len(c.Containers))
	for _, container := range c.Containers {
		aggregates := make([]*model.AggregateContainerState, len(container.Aggregates))
		instances := make([][]*model.ContainerState, len(container.Aggregates))
		for i, count := range container.Aggregates {
			aggregates[i] = model.NewAggregateContainerState()
			for range count {
				instances[i] = append(instances[i], model.NewContainerState(model.Resources{}, aggregates[i]))
			}
		}
		accepted := make([]bool, 0, len(container.Events))
		for _, e := range container.Events {
			if e.Aggregate >= len(instances) || e.Instance >= len(instances[e.Aggregate]) {
				return answer, fmt.Errorf("event for a missing instance: %+v", e)
			}
			state := instances[e.Aggregate][e.Instance]
			t := goTime(e.TMs)
			switch e.Kind {
			case "cpu":
				accepted = append(accepted, state.AddSample(&model.ContainerUsageSample{
					MeasureStart: t, Usage: model.ResourceAmount(e.Amount), Resource: model.ResourceCPU}))
			case "memory":
				accepted = append(accepted, state.AddSample(&model.ContainerUsageSample{
					MeasureStart: t, Usage: model.ResourceAmount(e.Amount), Resource: model.ResourceMemory}))
			case "oom":
				accepted = append(accepted, state.RecordOOM(t, model.ResourceAmount(e.Amount)) == nil)
			default:
				return answer, fmt.Errorf("unknown event kind %q", e.Kind)
			}
		}
		answer.Accepted = append(answer.Accepted, accepted)

		var aggregate *model.AggregateContainerState
		switch {
		case container.Merge:
			aggregate = model.NewAggregateContainerState()
			for _, other := range aggregates {
				aggregate.MergeContainerState(other)
			}
		case len(aggregates) == 1:
			aggregate = aggregates[0]
		default:
			return answer, fmt.Errorf("container %q: %d aggregates without merge", container.Name, len(aggregates))
		}
		policy := vpa_types.ContainerResourcePolicy{ContainerName: container.Name}
		mode := vpa_types.ContainerScalingMode(container.Mode)
		policy.Mode = &mode
		if container.ControlledResources != nil {
			names := make([]corev1.ResourceName, 0, len(*container.ControlledResources))
			for _, name := range *container.ControlledResources {
				names = append(names, corev1.ResourceName(name))
			}
			policy.ControlledResources = &names
		}
		aggregate.UpdateFromPolicy(&policy)
		if mode != vpa_types.ContainerScalingModeOff {
			states[container.Name] = aggregate
		}
	}

	r := c.Recommender
	recommender := logic.CreatePodResourceRecommender(logic.RecommendationConfig{
		SafetyMarginFraction:       r.SafetyMarginFraction,
		PodMinCPUMillicores:        r.PodMinCPUMillicores,
		PodMinMemoryMb:             r.PodMinMemoryMb,
		TargetCPUPercentile:        r.TargetCPUPercentile,
		LowerBoundCPUPercentile:    r.LowerBoundCPUPercentile,
		UpperBoundCPUPercentile:    r.UpperBoundCPUPercentile,
		ConfidenceIntervalCPU:      ms(r.ConfidenceIntervalCPUMs),
		TargetMemoryPercentile:     r.TargetMemoryPercentile,
		LowerBoundMemoryPercentile: r.LowerBoundMemoryPercentile,
		UpperBoundMemoryPercentile: r.UpperBoundMemoryPercentile,
		ConfidenceIntervalMemory:   ms(r.ConfidenceIntervalMemoryMs),
	})
	recommended := recommender.GetRecommendedPodResources(states)
	names := make([]string, 0, len(recommended))
	for name := range recommended {
		names = append(names, name)
	}
	sort.Strings(names)
	answer.Containers = make([]containerAnswer, 0, len(names))
	for _, name := range names {
		rec := recommended[name]
		answer.Containers = append(answer.Containers, containerAnswer{
			Name:       name,
			Target:     answerResources(rec.Target),
			LowerBound: answerResources(rec.LowerBound),
			UpperBound: answerResources(rec.UpperBound),
		})
	}
	return answer, nil
}

type resourceListCase struct {
	CPUm               *int64 `json:"cpu_m"`
	MemoryBytes        *int64 `json:"memory_bytes"`
	HumanizeMemory     bool   `json:"humanize_memory"`
	RoundCPUMillicores int    `json:"round_cpu_millicores"`
	RoundMemoryBytes   int    `json:"round_memory_bytes"`
}

// quantityAnswer is a Quantity as the status holds it.
type quantityAnswer struct {
	MilliValue int64  `json:"milli_value"`
	Value      int64  `json:"value"`
	String     string `json:"string"`
}

type resourceListAnswer struct {
	CPU    *quantityAnswer `json:"cpu"`
	Memory *quantityAnswer `json:"memory"`
}

func runResourceListCase(c resourceListCase) resourceListAnswer {
	resources := model.Resources{}
	if c.CPUm != nil {
		resources[model.ResourceCPU] = model.ResourceAmount(*c.CPUm)
	}
	if c.MemoryBytes != nil {
		resources[model.ResourceMemory] = model.ResourceAmount(*c.MemoryBytes)
	}
	list := model.ResourcesAsResourceList(resources, c.HumanizeMemory, c.RoundCPUMillicores, c.RoundMemoryBytes)
	var answer resourceListAnswer
	if q, ok := list[corev1.ResourceCPU]; ok {
		answer.CPU = &quantityAnswer{MilliValue: q.MilliValue(), Value: q.Value(), String: q.String()}
	}
	if q, ok := list[corev1.ResourceMemory]; ok {
		answer.Memory = &quantityAnswer{MilliValue: q.MilliValue(), Value: q.Value(), String: q.String()}
	}
	return answer
}
