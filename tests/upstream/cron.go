package main

// The cron family: robfig/cron v3.0.1 with KEDA's parser options, and KEDA's cron trigger
// activity rule, answering podscale's core/src/cron and core/src/keda/cron_trigger.rs.
//
// Zone data is pinned: Go's time.LoadLocation reads $ZONEINFO or the system's
// /usr/share/zoneinfo before anything else, so its answers would depend on the machine's tzdata
// package (Debian 12 ships 2025b; podscale compiles in tzdb 2026b through tzdb_data). Every
// location here is therefore rebuilt from Go's embedded copy (package time/tzdata, tzdb 2025c
// in Go 1.26), read explicitly, with time.LoadLocationFromTZData: Go's own TZif reader and
// offset lookup, fed the same bytes on every machine. The zones the Rust driver generates have
// identical offsets in 2025c and 2026b from 1850 to 2100 (checked by sampling every 15 minutes);
// the zones whose rules differ between the two releases are left out there, see
// tests/differential/src/cron.rs.

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // the embedded zone data read by embeddedTZData
	_ "unsafe"      // for go:linkname

	"github.com/robfig/cron/v3"
)

// embeddedTZData returns the TZif bytes of a zone from Go's embedded tzdata. The package has no
// exported way in (time.LoadLocation prefers the system's files), hence the linkname; the build
// passes -ldflags=-checklinkname=0 to allow it.
//
//go:linkname embeddedTZData time/tzdata.loadFromEmbeddedTZData
func embeddedTZData(name string) (string, error)

// kedaParser is the parser KEDA's cron scaler builds, in cronMetadata.Validate and in
// NewCronScaler (kedacore/keda pkg/scalers/cron_scaler.go): five fields, no seconds, no
// descriptors.
var kedaParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

var (
	pinnedMu    sync.Mutex
	pinnedZones = map[string]*time.Location{}
)

// loadZone is KEDA's zone loading, time.LoadLocation(name), with the location's rules then
// taken from the embedded tzdata (see the file comment). LoadLocation still decides which names
// are accepted and with which error, as in KEDA.
func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	return pin(loc)
}

// pin replaces a location loaded from the machine's files by the same zone read from the
// embedded tzdata. UTC has no data to pin; Local is the machine's zone and cannot be pinned.
func pin(loc *time.Location) (*time.Location, error) {
	if loc == time.UTC || loc == time.Local {
		return loc, nil
	}
	name := loc.String()
	pinnedMu.Lock()
	defer pinnedMu.Unlock()
	if pinned, ok := pinnedZones[name]; ok {
		return pinned, nil
	}
	data, err := embeddedTZData(name)
	if err != nil {
		return nil, fmt.Errorf("zone %q loads from the system but is not in the embedded tzdata: %w", name, err)
	}
	pinned, err := time.LoadLocationFromTZData(name, []byte(data))
	if err != nil {
		return nil, err
	}
	pinnedZones[name] = pinned
	return pinned, nil
}

// parseSchedule is kedaParser.Parse, with a panic reported as a parse error (robfig panics on a
// "TZ=" prefix with no space after it; KEDA's typed config recovers it into an error), and the
// location of a "TZ=" prefix pinned like every other zone.
func parseSchedule(spec string) (sched cron.Schedule, fault error, parseErr error) {
	func() {
		defer func() {
			if r := recover(); r != nil {
				parseErr = fmt.Errorf("panic: %v", r)
			}
		}()
		sched, parseErr = kedaParser.Parse(spec)
	}()
	if parseErr != nil {
		return nil, nil, parseErr
	}
	fields, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("the KEDA parser returned a %T", sched), nil
	}
	// A "TZ=Local" prefix leaves time.Local, which robfig's Next reads as "the zone of the
	// instant given": nothing machine-dependent to pin.
	pinned, err := pin(fields.Location)
	if err != nil {
		return nil, err, nil
	}
	fields.Location = pinned
	return fields, nil, nil
}

// millis is a Next result as Unix milliseconds; nil for the zero time (robfig found no firing
// within five years).
func millis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

type cronParseCase struct {
	Spec string `json:"spec"`
}

type cronParseAnswer struct {
	Accepted bool   `json:"accepted"`
	Error    string `json:"error,omitempty"`
}

type cronNextCase struct {
	Spec    string `json:"spec"`
	Zone    string `json:"zone"`
	AfterMs int64  `json:"after_ms"`
}

type cronNextAnswer struct {
	// ParseError is robfig's error for Spec; ZoneError is time.LoadLocation's for Zone.
	ParseError string `json:"parse_error,omitempty"`
	ZoneError  string `json:"zone_error,omitempty"`
	NextMs     *int64 `json:"next_ms"`
}

type cronActiveCase struct {
	Timezone        string `json:"timezone"`
	Start           string `json:"start"`
	End             string `json:"end"`
	DesiredReplicas int64  `json:"desired_replicas"`
	NowMs           int64  `json:"now_ms"`
}

type cronActiveAnswer struct {
	// ParseError: start or end does not parse (KEDA refuses the trigger before any evaluation).
	ParseError string `json:"parse_error,omitempty"`
	// ZoneError: GetMetricsAndActivity's "unable to load timezone" error.
	ZoneError   string  `json:"zone_error,omitempty"`
	Active      bool    `json:"active"`
	MetricValue float64 `json:"metric_value"`
	NextStartMs *int64  `json:"next_start_ms"`
	NextEndMs   *int64  `json:"next_end_ms"`
}

func init() {
	registerCase("cron_parse", cronParse)
	registerCase("cron_next", cronNext)
	registerCase("cron_active", cronActive)
}

// cronParse: whether robfig's parser with KEDA's options accepts the spec, and its message.
func cronParse(c cronParseCase) (cronParseAnswer, error) {
	_, fault, err := parseSchedule(c.Spec)
	if fault != nil {
		return cronParseAnswer{}, fault
	}
	if err != nil {
		return cronParseAnswer{Error: err.Error()}, nil
	}
	return cronParseAnswer{Accepted: true}, nil
}

// cronNext: robfig's Schedule.Next, from the instant viewed in the zone (as KEDA's getCronTime).
func cronNext(c cronNextCase) (cronNextAnswer, error) {
	sched, fault, err := parseSchedule(c.Spec)
	if fault != nil {
		return cronNextAnswer{}, fault
	}
	if err != nil {
		return cronNextAnswer{ParseError: err.Error()}, nil
	}
	loc, err := loadZone(c.Zone)
	if err != nil {
		return cronNextAnswer{ZoneError: err.Error()}, nil
	}
	return cronNextAnswer{NextMs: millis(sched.Next(time.UnixMilli(c.AfterMs).In(loc)))}, nil
}

// cronActive: KEDA's activity decision for a start and end schedule at an instant.
func cronActive(c cronActiveCase) (cronActiveAnswer, error) {
	start, fault, err := parseSchedule(c.Start)
	if fault != nil {
		return cronActiveAnswer{}, fault
	}
	if err != nil {
		return cronActiveAnswer{ParseError: "start: " + err.Error()}, nil
	}
	end, fault, err := parseSchedule(c.End)
	if fault != nil {
		return cronActiveAnswer{}, fault
	}
	if err != nil {
		return cronActiveAnswer{ParseError: "end: " + err.Error()}, nil
	}
	return kedaCronActivity(c.Timezone, start, end, c.DesiredReplicas, time.UnixMilli(c.NowMs))
}

// kedaCronActivity is a transcription, allowed by the issue, of KEDA's
// cronScaler.GetMetricsAndActivity and getCronTime (kedacore/keda at
// 8b4f083ca8c8c2baf8477e322bd4d16ac4dfa09a, v2.20.x, pkg/scalers/cron_scaler.go), with the one
// change that makes it testable: the instant is the parameter now instead of three separate
// reads of time.Now() (the source of kedacore/keda#3854). KEDA's module cannot be called for
// it: the scaler reads the clock itself, and pkg/scalers imports every cloud SDK. The parsing
// (robfig's Parser.Parse), the zone loading (time.LoadLocation) and the next firings (robfig's
// Schedule.Next) are the real calls. The metric value follows v2.20: desiredReplicas while
// active, 0 while not (since v2.18, kedacore/keda#6886), and a negative value emitted as 0
// (since v2.20, kedacore/keda#7534).
func kedaCronActivity(timezone string, startSchedule, endSchedule cron.Schedule, desiredReplicas int64, now time.Time) (cronActiveAnswer, error) {
	location, err := loadZone(timezone)
	if err != nil {
		return cronActiveAnswer{ZoneError: fmt.Sprintf("unable to load timezone: %v", err)}, nil
	}

	currentTime := now.In(location)

	nextStartTime := startSchedule.Next(now.In(location))
	nextEndTime := endSchedule.Next(now.In(location))

	isWithinInterval := false
	if nextStartTime.Before(nextEndTime) {
		isWithinInterval = currentTime.After(nextStartTime) && currentTime.Before(nextEndTime)
	} else {
		isWithinInterval = currentTime.After(nextStartTime) || currentTime.Before(nextEndTime)
	}

	metricValue := float64(0)
	if isWithinInterval {
		metricValue = float64(desiredReplicas)
	}
	if metricValue < 0 {
		metricValue = 0
	}
	return cronActiveAnswer{
		Active:      isWithinInterval,
		MetricValue: metricValue,
		NextStartMs: millis(nextStartTime),
		NextEndMs:   millis(nextEndTime),
	}, nil
}
