package main

// Benchmarks of robfig/cron v3.0.1 as KEDA's cron scaler uses it, the Go side of
// `make bench-compare`: the same expressions and instants as core/benches/cron.rs `cron_parse/*`
// and `cron_next/*`.
//
// KEDA parses with NewParser(Minute | Hour | Dom | Month | Dow) and asks for the next firing
// with Schedule.Next on the current time converted into the trigger's time zone. The Rust side
// takes an instant in Unix milliseconds and a zone, and answers in Unix milliseconds, so the Go
// side's timing includes the same two conversions (time.UnixMilli(...).In(zone), UnixMilli());
// loading the zone is outside the timing on both sides. The parser is cron.go's kedaParser, the
// one the differential harness answers with.

import (
	"testing"
	"time"
	// The zone database is compiled in, as podscale's is, so the results do not depend on the
	// machine's /usr/share/zoneinfo.
	_ "time/tzdata"
)

// The expressions and instants of core/benches/cron.rs.
const (
	benchQuarterHours = "00,15,30,45 * * * *"
	benchWeekdays     = "30 6 * * Mon-Fri"
	benchDaily0230    = "30 2 * * *"

	// 2024-05-01 01:17 UTC (Wednesday): 21:17 the day before in New York.
	benchOrdinaryMs int64 = 1_714_526_220_000
	// 2024-03-10 01:30 EST, half an hour before New York springs forward: 02:30 does not exist.
	benchBeforeGapMs int64 = 1_710_052_200_000
	// 2024-05-03 22:00 UTC (Friday): 18:00 EDT, a weekday schedule's next firing is Monday.
	benchFridayEveningMs int64 = 1_714_773_600_000
)

func BenchmarkCronParse(b *testing.B) {
	for _, c := range []struct{ name, spec string }{
		{"quarter_hours", benchQuarterHours},
		{"weekdays", benchWeekdays},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := kedaParser.Parse(c.spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCronNext(b *testing.B) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name     string
		spec     string
		afterMs  int64
		zone     *time.Location
		expectMs int64
	}{
		{"utc_quarter_hours", benchQuarterHours, benchOrdinaryMs, time.UTC, 1_714_527_000_000},
		{"new_york_quarter_hours", benchQuarterHours, benchOrdinaryMs, newYork, 1_714_527_000_000},
		{"utc_daily", benchDaily0230, benchOrdinaryMs, time.UTC, 1_714_530_600_000},
		{"new_york_daily", benchDaily0230, benchOrdinaryMs, newYork, 1_714_545_000_000},
		{"utc_daily_before_gap", benchDaily0230, benchBeforeGapMs, time.UTC, 1_710_124_200_000},
		// 02:30 is skipped on 2024-03-10: 2024-03-11 02:30 EDT.
		{"new_york_daily_before_gap", benchDaily0230, benchBeforeGapMs, newYork, 1_710_138_600_000},
		// Friday 18:00 EDT: Monday 2024-05-06 06:30 EDT, over the weekend.
		{"new_york_weekdays_friday_evening", benchWeekdays, benchFridayEveningMs, newYork, 1_714_991_400_000},
	}
	for _, c := range cases {
		schedule, err := kedaParser.Parse(c.spec)
		if err != nil {
			b.Fatal(err)
		}
		next := func() int64 { return schedule.Next(time.UnixMilli(c.afterMs).In(c.zone)).UnixMilli() }
		if got := next(); got != c.expectMs {
			b.Fatalf("%s: next firing %d, want %d", c.name, got, c.expectMs)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				next()
			}
		})
	}
}
