package main

// Benchmarks of the VPA recommender, the Go side of `make bench-compare`: the same workloads as
// core/benches/vpa.rs `vpa/add_sample_*` and `vpa/percentile_*` (pkg/recommender/util's decaying
// histogram with the recommender's CPU and memory options) and core/benches/vpa_recommendation.rs
// `recommendation/three_container_pod` (pkg/recommender/logic over pkg/recommender/model).
//
// The histograms and aggregates are built from the same samples as on the Rust side. The one
// possible difference: the daily cycle's sine comes from Go's math.Sin here and from the
// platform's libm there, which may differ in the last bit; that can move a sample across a
// bucket boundary only if it lies within an ulp of one, and does not change the work measured.

import (
	"math"
	"testing"
	"time"

	vpa_types "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/logic"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/model"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/util"
)

const (
	// 2023-11-14T22:13:20Z.
	benchVpaStartMs    int64 = 1_700_000_000_000
	benchMinuteMs      int64 = 60_000
	benchWeekMinutes   int64 = 7 * 24 * 60
	benchMiB           int64 = 1024 * 1024
	benchSamplesWindow       = 1024 // values cycled through by add_sample
)

// benchCycle is a daily cycle between low and 2*low.
func benchCycle(low float64, minute int64) float64 {
	phase := float64(minute%1440) / 1440.0 * (2 * math.Pi)
	return low * (1.5 + 0.5*math.Sin(phase))
}

// benchWeek is a week of per-minute CPU samples (cores, weight 0.1) and memory peaks (bytes,
// weight 1) in the recommender's own histograms.
func benchWeek() (cpu, memory util.Histogram) {
	config := model.GetAggregationsConfig()
	cpu = util.NewDecayingHistogram(config.CPUHistogramOptions, config.CPUHistogramDecayHalfLife)
	memory = util.NewDecayingHistogram(config.MemoryHistogramOptions, config.MemoryHistogramDecayHalfLife)
	for minute := range benchWeekMinutes {
		t := time.UnixMilli(benchVpaStartMs + minute*benchMinuteMs)
		cpu.AddSample(benchCycle(0.25, minute), 0.1, t)
		memory.AddSample(benchCycle(300e6, minute), 1.0, t)
	}
	return cpu, memory
}

// benchValues is 1024 values around the cycle, so that successive samples hit different buckets.
func benchValues(low float64) []float64 {
	values := make([]float64, benchSamplesWindow)
	for i := range values {
		values[i] = benchCycle(low, int64(i)*7)
	}
	return values
}

func BenchmarkVpa(b *testing.B) {
	cpu, memory := benchWeek()
	now := benchVpaStartMs + benchWeekMinutes*benchMinuteMs
	for _, c := range []struct {
		name      string
		histogram util.Histogram
		values    []float64
		weight    float64
	}{
		{"add_sample_cpu", cpu, benchValues(0.25), 0.1},
		{"add_sample_memory", memory, benchValues(300e6), 1.0},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i = (i + 1) & (benchSamplesWindow - 1)
				// Within the 100-half-life window: no reference shift, as in steady operation.
				t := time.UnixMilli(now + int64(i)*1000)
				c.histogram.AddSample(c.values[i], c.weight, t)
			}
		})
	}
	// Fresh histograms: the add_sample runs above have changed the first ones. Their 90th
	// percentiles are podscale's, bit for bit (core/benches/vpa.rs builds the same week).
	cpu, memory = benchWeek()
	if p90cpu, p90memory := cpu.Percentile(0.9), memory.Percentile(0.9); p90cpu != 0.5111345375888706 || p90memory != 623227119.0763164 {
		b.Fatalf("90th percentiles %v and %v are not podscale's", p90cpu, p90memory)
	}
	for _, c := range []struct {
		name      string
		histogram util.Histogram
	}{
		{"percentile_cpu", cpu},
		{"percentile_memory", memory},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.histogram.Percentile(0.9)
			}
		})
	}
}

// benchAggregate is a week of per-minute history with a daily cycle: CPU between base and 2*base
// millicores, memory between mem and 1.5*mem bytes, through a ContainerState as the recommender
// feeds it.
func benchAggregate(baseMilli, memBytes int64) *model.AggregateContainerState {
	aggregate := model.NewAggregateContainerState()
	container := model.NewContainerState(model.Resources{}, aggregate)
	for minute := range benchWeekMinutes {
		t := time.UnixMilli(benchVpaStartMs + minute*benchMinuteMs)
		// A triangle wave over the day, plus a little deterministic jitter.
		phase := minute % 1440
		wave := phase
		if phase >= 720 {
			wave = 1440 - phase
		}
		cpuMilli := baseMilli + baseMilli*wave/720 + (minute * 37 % 23)
		memory := memBytes + memBytes*wave/1440 + (minute * 7919 % 65_536)
		container.AddSample(&model.ContainerUsageSample{MeasureStart: t, Usage: model.ResourceAmount(cpuMilli), Resource: model.ResourceCPU})
		container.AddSample(&model.ContainerUsageSample{MeasureStart: t, Usage: model.ResourceAmount(memory), Resource: model.ResourceMemory})
	}
	return aggregate
}

func BenchmarkRecommendation(b *testing.B) {
	// The recommender's flag defaults (pkg/recommender/config DefaultRecommenderConfig).
	recommender := logic.CreatePodResourceRecommender(logic.RecommendationConfig{
		SafetyMarginFraction:       0.15,
		PodMinCPUMillicores:        25,
		PodMinMemoryMb:             250,
		TargetCPUPercentile:        0.9,
		LowerBoundCPUPercentile:    0.5,
		UpperBoundCPUPercentile:    0.95,
		ConfidenceIntervalCPU:      24 * time.Hour,
		TargetMemoryPercentile:     0.9,
		LowerBoundMemoryPercentile: 0.5,
		UpperBoundMemoryPercentile: 0.95,
		ConfidenceIntervalMemory:   24 * time.Hour,
	})
	format := logic.RecommendationFormat{HumanizeMemory: false, RoundCPUMillicores: 1, RoundMemoryBytes: 1}
	containers := model.ContainerNameToAggregateStateMap{
		"app":         benchAggregate(500, 512*benchMiB),
		"istio-proxy": benchAggregate(20, 64*benchMiB),
		"exporter":    benchAggregate(5, 16*benchMiB),
	}
	// The recommender's per-pod step: the estimates of every container, then the list sorted by
	// container name as written to the VPA status (the Rust side's recommend_pod).
	recommend := func() *vpa_types.RecommendedPodResources {
		return logic.MapToListOfRecommendedContainerResources(recommender.GetRecommendedPodResources(containers), format)
	}
	// podscale's targets for the same aggregates: (name, millicores, bytes), sorted by name.
	want := []struct {
		name        string
		cpu, memory int64
	}{{"app", 1168, 978270031}, {"exporter", 35, 87381333}, {"istio-proxy", 63, 126805489}}
	got := recommend().ContainerRecommendations
	if len(got) != len(want) {
		b.Fatalf("%d container recommendations, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ContainerName != w.name || g.Target.Cpu().MilliValue() != w.cpu || g.Target.Memory().Value() != w.memory {
			b.Fatalf("recommendation %d: %s %v, want %s %dm %d bytes", i, g.ContainerName, g.Target, w.name, w.cpu, w.memory)
		}
	}
	b.Run("three_container_pod", func(b *testing.B) {
		for b.Loop() {
			recommend()
		}
	})
}
