// The hpa family, part 2: what the controller does with the metrics' proposal.
//
// Op "hpa_normalize" runs upstream's own normalization of a proposal, exactly as
// reconcileAutoscaler does once the metrics are computed: the behavior path
// (*HorizontalController).normalizeDesiredReplicasWithBehaviors (stabilization windows, then the
// rate policies with min and max), or without behavior the legacy
// (*HorizontalController).normalizeDesiredReplicas; then, when the result differs from the
// current count, (*HorizontalController).storeScaleEvent. The behavior is defaulted first by
// the API's own SetDefaults_HorizontalPodAutoscalerBehavior.
//
// These methods are unexported and there is no exported way to reach them short of running
// the whole controller against an API server, so they are bound with //go:linkname (the build
// needs -ldflags=-checklinkname=0). The controller's memory (recommendations and scale events,
// unexported maps of unexported types) is written through reflect and unsafe, with local
// mirror types whose layout is checked against upstream's at startup (hpaCheckControllerLayout).
//
// Times are ages in whole seconds before "now", as in hpa.go, whose file comment explains why
// podscale then decides at 1 ms after instant 0, and why a call that ends a second or more
// after the reference instant is a fault (hpaCheckDecidedInTime).
//
// The benchmarks (bench_hpa_test.go) reuse the bindings and mirrors declared here.
package main

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	autoscalingdefaults "k8s.io/kubernetes/pkg/apis/autoscaling/v2"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
)

//go:linkname normalizeDesiredReplicasWithBehaviors k8s.io/kubernetes/pkg/controller/podautoscaler.(*HorizontalController).normalizeDesiredReplicasWithBehaviors
func normalizeDesiredReplicasWithBehaviors(a *podautoscaler.HorizontalController, hpa *autoscalingv2.HorizontalPodAutoscaler, key string, currentReplicas, prenormalizedDesiredReplicas, minReplicas int32) int32

//go:linkname normalizeDesiredReplicas k8s.io/kubernetes/pkg/controller/podautoscaler.(*HorizontalController).normalizeDesiredReplicas
func normalizeDesiredReplicas(a *podautoscaler.HorizontalController, hpa *autoscalingv2.HorizontalPodAutoscaler, key string, currentReplicas int32, prenormalizedDesiredReplicas int32, minReplicas int32) int32

//go:linkname storeScaleEvent k8s.io/kubernetes/pkg/controller/podautoscaler.(*HorizontalController).storeScaleEvent
func storeScaleEvent(a *podautoscaler.HorizontalController, behavior *autoscalingv2.HorizontalPodAutoscalerBehavior, key string, prevReplicas, newReplicas int32)

// The controller's downscale-stabilization flag default (5 min), as ControllerConfig::default.
const hpaDownscaleStabilisationWindow = 5 * time.Minute

const hpaKey = hpaNamespace + "/hpa"

// hpaRecommendationMirror mirrors podautoscaler.timestampedRecommendation.
type hpaRecommendationMirror struct {
	recommendation int32
	timestamp      time.Time
}

// hpaScaleEventMirror mirrors podautoscaler.timestampedScaleEvent.
type hpaScaleEventMirror struct {
	replicaChange int32
	timestamp     time.Time
	outdated      bool
}

func init() {
	hpaCheckControllerLayout()
	registerCase("hpa_normalize", (*hpaNormalizeCase).run)
}

// hpaControllerField is the named unexported field of a, made writable.
func hpaControllerField(a *podautoscaler.HorizontalController, name string) reflect.Value {
	f := reflect.ValueOf(a).Elem().FieldByName(name)
	if !f.IsValid() {
		panic("podautoscaler.HorizontalController has no field " + name)
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// hpaCheckControllerLayout panics unless the fields written by the harness have the expected types:
// map[string][]T with T laid out as the mirrors, and a time.Duration window.
func hpaCheckControllerLayout() {
	a := new(podautoscaler.HorizontalController)
	check := func(field string, mirror reflect.Type) {
		t := hpaControllerField(a, field).Type()
		if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.Slice {
			panic(fmt.Sprintf("HorizontalController.%s is %v, not map[string][]...", field, t))
		}
		hpaMustMirror(t.Elem().Elem(), mirror)
	}
	check("recommendations", reflect.TypeOf(hpaRecommendationMirror{}))
	check("scaleUpEvents", reflect.TypeOf(hpaScaleEventMirror{}))
	check("scaleDownEvents", reflect.TypeOf(hpaScaleEventMirror{}))
	if t := hpaControllerField(a, "downscaleStabilisationWindow").Type(); t != reflect.TypeOf(time.Duration(0)) {
		panic(fmt.Sprintf("HorizontalController.downscaleStabilisationWindow is %v", t))
	}
}

// hpaRecommendationsOf is the controller's recommendation map, as the mirror type.
func hpaRecommendationsOf(a *podautoscaler.HorizontalController) *map[string][]hpaRecommendationMirror {
	return (*map[string][]hpaRecommendationMirror)(unsafe.Pointer(hpaControllerField(a, "recommendations").UnsafeAddr()))
}

func hpaScaleEventsOf(a *podautoscaler.HorizontalController, field string) *map[string][]hpaScaleEventMirror {
	return (*map[string][]hpaScaleEventMirror)(unsafe.Pointer(hpaControllerField(a, field).UnsafeAddr()))
}

type hpaNormalizeCase struct {
	Current         int32               `json:"current_replicas"`
	Desired         int32               `json:"desired_replicas"`
	Min             int32               `json:"min_replicas"`
	Max             int32               `json:"max_replicas"`
	Behavior        *hpaBehaviorCase    `json:"behavior"`
	Recommendations []hpaAged           `json:"recommendations"`
	ScaleUpEvents   []hpaAgedScaleEvent `json:"scale_up_events"`
	ScaleDownEvents []hpaAgedScaleEvent `json:"scale_down_events"`
}

type hpaBehaviorCase struct {
	ScaleUp   *hpaRulesCase `json:"scale_up"`
	ScaleDown *hpaRulesCase `json:"scale_down"`
}

type hpaRulesCase struct {
	StabilizationWindowSeconds *int32  `json:"stabilization_window_seconds"`
	SelectPolicy               *string `json:"select_policy"`
	Policies                   *[]struct {
		Type          string `json:"type"`
		Value         int32  `json:"value"`
		PeriodSeconds int32  `json:"period_seconds"`
	} `json:"policies"`
}

func (r *hpaRulesCase) upstream() *autoscalingv2.HPAScalingRules {
	if r == nil {
		return nil
	}
	out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: r.StabilizationWindowSeconds}
	if r.SelectPolicy != nil {
		p := autoscalingv2.ScalingPolicySelect(*r.SelectPolicy)
		out.SelectPolicy = &p
	}
	if r.Policies != nil {
		out.Policies = []autoscalingv2.HPAScalingPolicy{}
		for _, p := range *r.Policies {
			out.Policies = append(out.Policies, autoscalingv2.HPAScalingPolicy{
				Type: autoscalingv2.HPAScalingPolicyType(p.Type), Value: p.Value, PeriodSeconds: p.PeriodSeconds,
			})
		}
	}
	return out
}

type hpaAged struct {
	Replicas int32      `json:"replicas"`
	Age      hpaSeconds `json:"age_s"`
}

type hpaAgedScaleEvent struct {
	ReplicaChange int32      `json:"replica_change"`
	Age           hpaSeconds `json:"age_s"`
	Outdated      bool       `json:"outdated"`
}

// hpaNormalizeAnswer is upstream's answer. An age of null marks an entry recorded by this call.
type hpaNormalizeAnswer struct {
	Desired           int32                 `json:"desired_replicas"`
	AbleToScaleStatus string                `json:"able_to_scale_status"`
	AbleToScaleReason string                `json:"able_to_scale_reason"`
	LimitedStatus     string                `json:"scaling_limited_status"`
	LimitedReason     string                `json:"scaling_limited_reason"`
	Recommendations   []hpaAnswerAged       `json:"recommendations"`
	ScaleUpEvents     []hpaAnswerScaleEvent `json:"scale_up_events"`
	ScaleDownEvents   []hpaAnswerScaleEvent `json:"scale_down_events"`
}

type hpaAnswerAged struct {
	Replicas int32  `json:"replicas"`
	Age      *int64 `json:"age_s"`
}

type hpaAnswerScaleEvent struct {
	ReplicaChange int32  `json:"replica_change"`
	Age           *int64 `json:"age_s"`
	Outdated      bool   `json:"outdated"`
}

// hpaAgeOf is how many whole seconds before base t is, or nil for an instant after base (recorded
// by upstream during the call).
func hpaAgeOf(base, t time.Time) *int64 {
	if t.After(base) {
		return nil
	}
	age := int64(base.Sub(t) / time.Second)
	return &age
}

func (c *hpaNormalizeCase) run() (*hpaNormalizeAnswer, error) {
	base := time.Now()
	a := new(podautoscaler.HorizontalController)
	hpaControllerField(a, "downscaleStabilisationWindow").Set(reflect.ValueOf(hpaDownscaleStabilisationWindow))

	recs := make([]hpaRecommendationMirror, 0, len(c.Recommendations))
	for _, r := range c.Recommendations {
		recs = append(recs, hpaRecommendationMirror{recommendation: r.Replicas, timestamp: hpaAgo(base, r.Age)})
	}
	*hpaRecommendationsOf(a) = map[string][]hpaRecommendationMirror{hpaKey: recs}
	events := func(in []hpaAgedScaleEvent) map[string][]hpaScaleEventMirror {
		out := make([]hpaScaleEventMirror, 0, len(in))
		for _, e := range in {
			out = append(out, hpaScaleEventMirror{replicaChange: e.ReplicaChange, timestamp: hpaAgo(base, e.Age), outdated: e.Outdated})
		}
		return map[string][]hpaScaleEventMirror{hpaKey: out}
	}
	*hpaScaleEventsOf(a, "scaleUpEvents") = events(c.ScaleUpEvents)
	*hpaScaleEventsOf(a, "scaleDownEvents") = events(c.ScaleDownEvents)

	minReplicas := c.Min
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &minReplicas, MaxReplicas: c.Max},
	}
	if c.Behavior != nil {
		hpa.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp:   c.Behavior.ScaleUp.upstream(),
			ScaleDown: c.Behavior.ScaleDown.upstream(),
		}
		autoscalingdefaults.SetDefaults_HorizontalPodAutoscalerBehavior(hpa)
	}
	// Upstream must decide strictly after base (see hpa.go).
	for !time.Now().After(base) {
	}

	// reconcileAutoscaler, from the metrics' proposal on.
	var desired int32
	if hpa.Spec.Behavior == nil {
		desired = normalizeDesiredReplicas(a, hpa, hpaKey, c.Current, c.Desired, c.Min)
	} else {
		desired = normalizeDesiredReplicasWithBehaviors(a, hpa, hpaKey, c.Current, c.Desired, c.Min)
	}
	if desired != c.Current {
		storeScaleEvent(a, hpa.Spec.Behavior, hpaKey, c.Current, desired)
	}
	if err := hpaCheckDecidedInTime(base); err != nil {
		return nil, err
	}

	ans := &hpaNormalizeAnswer{Desired: desired}
	for _, cond := range hpa.Status.Conditions {
		switch cond.Type {
		case autoscalingv2.AbleToScale:
			ans.AbleToScaleStatus = string(cond.Status)
			ans.AbleToScaleReason = cond.Reason
		case autoscalingv2.ScalingLimited:
			ans.LimitedStatus = string(cond.Status)
			ans.LimitedReason = cond.Reason
		}
	}
	for _, r := range (*hpaRecommendationsOf(a))[hpaKey] {
		ans.Recommendations = append(ans.Recommendations, hpaAnswerAged{Replicas: r.recommendation, Age: hpaAgeOf(base, r.timestamp)})
	}
	report := func(field string) []hpaAnswerScaleEvent {
		out := []hpaAnswerScaleEvent{}
		for _, e := range (*hpaScaleEventsOf(a, field))[hpaKey] {
			out = append(out, hpaAnswerScaleEvent{ReplicaChange: e.replicaChange, Age: hpaAgeOf(base, e.timestamp), Outdated: e.outdated})
		}
		return out
	}
	ans.ScaleUpEvents = report("scaleUpEvents")
	ans.ScaleDownEvents = report("scaleDownEvents")
	if ans.Recommendations == nil {
		ans.Recommendations = []hpaAnswerAged{}
	}
	return ans, nil
}
