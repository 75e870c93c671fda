package main

// The VPA family, part 1: histograms (pkg/recommender/util). One op, "vpa_histogram", builds
// histogram options with upstream's constructors, a plain (NewHistogram) or decaying
// (NewDecayingHistogram) histogram over them, and applies a list of operations in order,
// answering each.
//
// Floats go back as their IEEE-754 bit patterns (uint64), so the comparison is bit-exact and
// NaN or infinities could not slip through JSON. Instants are Unix milliseconds, as podscale's
// are; Go's zero time.Time is -62135596800000.
//
// The "state" operation reads the histogram's unexported fields (bucketWeight, totalWeight,
// minBucket, maxBucket, referenceTimestamp) with reflect: upstream exposes them only through
// String(), which rounds. Reading is all it does.

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"time"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	vpa_types "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/model"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/util"
)

func init() {
	registerCase("vpa_histogram", runHistogramCase)
}

// histogramOptionsCase names the options: "cpu" and "memory" are the recommender's own
// (model.GetAggregationsConfig()), "linear" and "exponential" go through
// NewLinearHistogramOptions and NewExponentialHistogramOptions.
//
// The parameters belong to some kinds only, so they are optional (omitempty) in decoding.
type histogramOptionsCase struct {
	Kind            string  `json:"kind"`
	MaxValue        float64 `json:"max_value,omitempty"`
	BucketSize      float64 `json:"bucket_size,omitempty"`
	FirstBucketSize float64 `json:"first_bucket_size,omitempty"`
	Ratio           float64 `json:"ratio,omitempty"`
	Epsilon         float64 `json:"epsilon,omitempty"`
}

type histogramCase struct {
	Options histogramOptionsCase `json:"options"`
	// Nil: a plain histogram; otherwise a decaying one with this half-life.
	HalfLifeMs *int64        `json:"half_life_ms"`
	Ops        []histogramOp `json:"ops"`
}

// histogramOp is one operation; which fields matter depends on Op.
type histogramOp struct {
	// add, sub, percentile, is_empty, num_buckets, find_bucket, bucket_start, save, load,
	// reload (a fresh histogram loaded from this one's checkpoint replaces it), merge, state.
	Op     string  `json:"op"`
	Value  float64 `json:"value,omitempty"`
	Weight float64 `json:"weight,omitempty"`
	TMs    int64   `json:"t_ms,omitempty"`
	P      float64 `json:"p,omitempty"`
	Bucket int     `json:"bucket,omitempty"`
	// For load.
	Checkpoint *checkpointCase `json:"checkpoint,omitempty"`
	// For merge: applied to a fresh histogram of the same kind, options and half-life, which
	// is then merged into this one.
	Other []histogramOp `json:"other,omitempty"`
}

// checkpointCase is a HistogramCheckpoint: bucket weights as [index, weight] pairs.
type checkpointCase struct {
	TotalWeight   float64     `json:"total_weight"`
	BucketWeights [][2]uint32 `json:"bucket_weights"`
	ReferenceMs   int64       `json:"reference_ms"`
}

// checkpointAnswer is a saved checkpoint: the total's bits, the buckets sorted by index.
type checkpointAnswer struct {
	TotalWeightBits uint64      `json:"total_weight_bits"`
	BucketWeights   [][2]uint32 `json:"bucket_weights"`
	ReferenceMs     int64       `json:"reference_ms"`
}

// stateAnswer is every field of the histogram.
type stateAnswer struct {
	WeightBits      []uint64 `json:"weight_bits"`
	TotalWeightBits uint64   `json:"total_weight_bits"`
	MinBucket       int      `json:"min_bucket"`
	MaxBucket       int      `json:"max_bucket"`
	ReferenceMs     int64    `json:"reference_ms"`
}

type histogramAnswer struct {
	// Set when the options constructor returned an error; no ops ran then.
	OptionsError bool  `json:"options_error"`
	Results      []any `json:"results"`
}

func histogramOptions(c histogramOptionsCase) (util.HistogramOptions, error) {
	switch c.Kind {
	case "cpu":
		return model.GetAggregationsConfig().CPUHistogramOptions, nil
	case "memory":
		return model.GetAggregationsConfig().MemoryHistogramOptions, nil
	case "linear":
		return util.NewLinearHistogramOptions(c.MaxValue, c.BucketSize, c.Epsilon)
	case "exponential":
		return util.NewExponentialHistogramOptions(c.MaxValue, c.FirstBucketSize, c.Ratio, c.Epsilon)
	}
	return nil, fmt.Errorf("unknown options kind %q", c.Kind)
}

// goTime is a Unix-milliseconds instant as podscale reads it.
func goTime(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}

func runHistogramCase(c histogramCase) (answer histogramAnswer, fault error) {
	options, err := histogramOptions(c.Options)
	if err != nil {
		if c.Options.Kind == "linear" || c.Options.Kind == "exponential" {
			return histogramAnswer{OptionsError: true, Results: []any{}}, nil
		}
		return answer, err
	}
	fresh := func() util.Histogram {
		if c.HalfLifeMs == nil {
			return util.NewHistogram(options)
		}
		return util.NewDecayingHistogram(options, time.Duration(*c.HalfLifeMs)*time.Millisecond)
	}
	// Upstream panics where podscale returns an error (negative weights, an out-of-range
	// bucket); the generator avoids those, so a panic here is a fault, not an answer.
	defer func() {
		if p := recover(); p != nil {
			fault = fmt.Errorf("upstream panicked: %v", p)
		}
	}()
	h := fresh()
	results := make([]any, 0, len(c.Ops))
	for _, op := range c.Ops {
		var result any
		switch op.Op {
		case "add":
			h.AddSample(op.Value, op.Weight, goTime(op.TMs))
		case "sub":
			h.SubtractSample(op.Value, op.Weight, goTime(op.TMs))
		case "percentile":
			result = math.Float64bits(h.Percentile(op.P))
		case "is_empty":
			result = h.IsEmpty()
		case "num_buckets":
			result = options.NumBuckets()
		case "find_bucket":
			result = options.FindBucket(op.Value)
		case "bucket_start":
			result = math.Float64bits(options.GetBucketStart(op.Bucket))
		case "save":
			cp, err := h.SaveToChekpoint()
			if err != nil {
				return answer, err
			}
			result = answerCheckpoint(cp)
		case "load":
			if op.Checkpoint == nil {
				return answer, fmt.Errorf("load without a checkpoint")
			}
			if err := h.LoadFromCheckpoint(upstreamCheckpoint(*op.Checkpoint)); err != nil {
				result = "error"
			} else {
				result = "ok"
			}
		case "reload":
			cp, err := h.SaveToChekpoint()
			if err != nil {
				return answer, err
			}
			h = fresh()
			if err := h.LoadFromCheckpoint(cp); err != nil {
				result = "error"
			}
		case "merge":
			other := fresh()
			for _, o := range op.Other {
				switch o.Op {
				case "add":
					other.AddSample(o.Value, o.Weight, goTime(o.TMs))
				case "sub":
					other.SubtractSample(o.Value, o.Weight, goTime(o.TMs))
				default:
					return answer, fmt.Errorf("merge: op %q is not a sample", o.Op)
				}
			}
			h.Merge(other)
		case "state":
			result = histogramState(h)
		default:
			return answer, fmt.Errorf("unknown histogram op %q", op.Op)
		}
		results = append(results, result)
	}
	return histogramAnswer{Results: results}, nil
}

func upstreamCheckpoint(c checkpointCase) *vpa_types.HistogramCheckpoint {
	weights := make(map[int]uint32, len(c.BucketWeights))
	for _, bw := range c.BucketWeights {
		weights[int(bw[0])] = bw[1]
	}
	return &vpa_types.HistogramCheckpoint{
		ReferenceTimestamp: metav1.NewTime(goTime(c.ReferenceMs)),
		BucketWeights:      weights,
		TotalWeight:        c.TotalWeight,
	}
}

func answerCheckpoint(cp *vpa_types.HistogramCheckpoint) checkpointAnswer {
	buckets := make([][2]uint32, 0, len(cp.BucketWeights))
	for index, weight := range cp.BucketWeights {
		buckets = append(buckets, [2]uint32{uint32(index), weight})
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i][0] < buckets[j][0] })
	return checkpointAnswer{
		TotalWeightBits: math.Float64bits(cp.TotalWeight),
		BucketWeights:   buckets,
		ReferenceMs:     cp.ReferenceTimestamp.Time.UnixMilli(),
	}
}

// histogramState reads the unexported fields of upstream's *histogram or *decayingHistogram.
func histogramState(h util.Histogram) stateAnswer {
	v := reflect.ValueOf(h).Elem()
	reference := time.Time{}
	if f := v.FieldByName("referenceTimestamp"); f.IsValid() {
		// An unexported time.Time cannot be read through Interface(); read it in place.
		reference = *(*time.Time)(unsafe.Pointer(f.UnsafeAddr()))
		v = v.FieldByName("histogram")
	}
	weights := v.FieldByName("bucketWeight")
	bits := make([]uint64, weights.Len())
	for i := range bits {
		bits[i] = math.Float64bits(weights.Index(i).Float())
	}
	return stateAnswer{
		WeightBits:      bits,
		TotalWeightBits: math.Float64bits(v.FieldByName("totalWeight").Float()),
		MinBucket:       int(v.FieldByName("minBucket").Int()),
		MaxBucket:       int(v.FieldByName("maxBucket").Int()),
		ReferenceMs:     reference.UnixMilli(),
	}
}
