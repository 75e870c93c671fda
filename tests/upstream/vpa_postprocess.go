package main

// The VPA family, part 3: post-processing (pkg/utils/vpa).
//
// "vpa_apply_policy": vpa_utils.ApplyVPAPolicy, the recommender's capping post-processor
// (minAllowed, maxAllowed and the global maximum). CPU amounts are millicore quantities
// (NewMilliQuantity), memory byte quantities (NewQuantity, BinarySI); answers are read back
// with MilliValue() for CPU and Value() for memory.

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	vpa_types "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	vpa_utils "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/utils/vpa"
)

func init() {
	registerCase("vpa_apply_policy", runApplyPolicyCase)
}

// resourcesCase is a ResourceList of CPU (millicores) and memory (bytes), each optional.
type resourcesCase struct {
	CPUm        *int64 `json:"cpu_m"`
	MemoryBytes *int64 `json:"memory_bytes"`
}

func (r resourcesCase) list() corev1.ResourceList {
	list := corev1.ResourceList{}
	if r.CPUm != nil {
		list[corev1.ResourceCPU] = *resource.NewMilliQuantity(*r.CPUm, resource.DecimalSI)
	}
	if r.MemoryBytes != nil {
		list[corev1.ResourceMemory] = *resource.NewQuantity(*r.MemoryBytes, resource.BinarySI)
	}
	return list
}

// listOrNil keeps a nil list nil (an absent field), which upstream distinguishes from empty.
func (r *resourcesCase) listOrNil() corev1.ResourceList {
	if r == nil {
		return nil
	}
	return r.list()
}

func answerList(list corev1.ResourceList) resourcesAnswer {
	var a resourcesAnswer
	if q, ok := list[corev1.ResourceCPU]; ok {
		m := q.MilliValue()
		a.CPUm = &m
	}
	if q, ok := list[corev1.ResourceMemory]; ok {
		v := q.Value()
		a.MemoryBytes = &v
	}
	return a
}

type containerRecommendationCase struct {
	ContainerName  string        `json:"container_name"`
	Target         resourcesCase `json:"target"`
	LowerBound     resourcesCase `json:"lower_bound"`
	UpperBound     resourcesCase `json:"upper_bound"`
	UncappedTarget resourcesCase `json:"uncapped_target"`
}

type containerRecommendationAnswer struct {
	ContainerName  string          `json:"container_name"`
	Target         resourcesAnswer `json:"target"`
	LowerBound     resourcesAnswer `json:"lower_bound"`
	UpperBound     resourcesAnswer `json:"upper_bound"`
	UncappedTarget resourcesAnswer `json:"uncapped_target"`
}

type containerPolicyCase struct {
	ContainerName string         `json:"container_name"`
	MinAllowed    *resourcesCase `json:"min_allowed"`
	MaxAllowed    *resourcesCase `json:"max_allowed"`
}

type applyPolicyCase struct {
	Recommendations []containerRecommendationCase `json:"recommendations"`
	// Nil: the VPA has no resourcePolicy.
	Policy           *[]containerPolicyCase `json:"policy"`
	GlobalMaxAllowed resourcesCase          `json:"global_max_allowed"`
}

func runApplyPolicyCase(c applyPolicyCase) ([]containerRecommendationAnswer, error) {
	recommendation := &vpa_types.RecommendedPodResources{}
	for _, r := range c.Recommendations {
		recommendation.ContainerRecommendations = append(recommendation.ContainerRecommendations,
			vpa_types.RecommendedContainerResources{
				ContainerName:  r.ContainerName,
				Target:         r.Target.list(),
				LowerBound:     r.LowerBound.list(),
				UpperBound:     r.UpperBound.list(),
				UncappedTarget: r.UncappedTarget.list(),
			})
	}
	var policy *vpa_types.PodResourcePolicy
	if c.Policy != nil {
		policy = &vpa_types.PodResourcePolicy{}
		for _, p := range *c.Policy {
			policy.ContainerPolicies = append(policy.ContainerPolicies, vpa_types.ContainerResourcePolicy{
				ContainerName: p.ContainerName,
				MinAllowed:    p.MinAllowed.listOrNil(),
				MaxAllowed:    p.MaxAllowed.listOrNil(),
			})
		}
	}
	capped, err := vpa_utils.ApplyVPAPolicy(recommendation, policy, c.GlobalMaxAllowed.list())
	if err != nil {
		return nil, err
	}
	answer := make([]containerRecommendationAnswer, 0, len(capped.ContainerRecommendations))
	for _, r := range capped.ContainerRecommendations {
		answer = append(answer, containerRecommendationAnswer{
			ContainerName:  r.ContainerName,
			Target:         answerList(r.Target),
			LowerBound:     answerList(r.LowerBound),
			UpperBound:     answerList(r.UpperBound),
			UncappedTarget: answerList(r.UncappedTarget),
		})
	}
	return answer, nil
}
