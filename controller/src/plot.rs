//! An SVG plot of a timeline: demand and served CPU, replicas, utilization against the HPA's
//! target, and the VPA's recommendation, stacked on one time axis.
//!
//! Only plotters' SVG backend is used: text goes into the SVG as `<text>` elements for the
//! viewer to render, and plotters sizes labels with its built-in estimate, so no font files,
//! fontconfig or system libraries are needed to draw.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::timeline::Timeline;

/// Size of the picture, pixels.
const WIDTH: u32 = 1100;
/// Height of one panel, pixels.
const PANEL_HEIGHT: u32 = 260;
/// Height of the title strip, pixels.
const TITLE_HEIGHT: u32 = 50;

const DEMAND: RGBColor = RGBColor(120, 120, 120);
const SERVED: RGBColor = RGBColor(31, 119, 180);
const PODS: RGBColor = RGBColor(214, 39, 40);
const READY: RGBColor = RGBColor(255, 152, 150);
const UTILIZATION: RGBColor = RGBColor(44, 160, 44);
const TARGET: RGBColor = RGBColor(0, 0, 0);
const CRON: RGBColor = RGBColor(255, 221, 153);
const VPA_TARGET: RGBColor = RGBColor(148, 103, 189);
const VPA_BOUNDS: RGBColor = RGBColor(197, 176, 213);
const USAGE: RGBColor = RGBColor(31, 119, 180);

/// A step series: each value holds until the next record's time.
fn steps(xs: &[f64], values: impl Iterator<Item = Option<f64>>) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let mut previous: Option<f64> = None;
    for (x, value) in xs.iter().zip(values) {
        if let Some(v) = value {
            if let Some(p) = previous {
                points.push((*x, p));
            }
            points.push((*x, v));
            previous = Some(v);
        }
    }
    points
}

/// The largest value of some series, with headroom, and never 0.
fn top(series: &[&[(f64, f64)]], at_least: f64) -> f64 {
    let max = series
        .iter()
        .flat_map(|s| s.iter().map(|p| p.1))
        .fold(at_least, f64::max);
    (max * 1.15).max(1.0)
}

type Panel<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One line of a panel: its legend, color, whether it is dashed, and its points.
type Series<'n> = (&'n str, RGBColor, bool, Vec<(f64, f64)>);

/// Draws one panel: a title, a y label and named series on the shared time axis.
#[allow(clippy::too_many_arguments)]
fn panel(
    area: &Panel<'_>,
    caption: &str,
    y_label: &str,
    x_range: (f64, f64),
    y_max: f64,
    x_label: &dyn Fn(&f64) -> String,
    bands: &[(f64, f64)],
    series: &[Series<'_>],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<std::io::Error>| e.to_string();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range.0..x_range.1, 0.0..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .x_labels(12)
        .x_label_formatter(x_label)
        .y_label_formatter(&|v: &f64| format!("{v:.0}"))
        .y_labels(if y_max <= 10.0 { y_max as usize + 1 } else { 6 })
        .y_desc(y_label)
        .draw()
        .map_err(err)?;
    for (from, to) in bands {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(*from, 0.0), (*to, y_max)],
                CRON.mix(0.5).filled(),
            )))
            .map_err(err)?;
    }
    for (name, color, dashed, points) in series {
        let style = ShapeStyle::from(color).stroke_width(2);
        let drawn = if *dashed {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), style))
        };
        let color = *color;
        drawn.map_err(err)?.label(*name).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
        });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()
        .map_err(err)?;
    Ok(())
}

/// The timeline as an SVG document.
///
/// # Errors
///
/// Plotters refused to draw (it reports why).
pub fn render_svg(timeline: &Timeline) -> Result<String, String> {
    let info = &timeline.info;
    let records = &timeline.records;
    let zone_offset_s = |ms: i64| {
        info.zone
            .as_deref()
            .and_then(|z| podscale::cron::Zone::from_name(z).ok())
            .map_or(0, |z| z.offset_seconds(ms.div_euclid(1000)))
    };
    // The axis is in minutes: since the start for relative times, and since the local
    // midnight before the start for real ones, so that labels fall on round wall-clock times.
    let origin = if info.absolute_time {
        let local_ms = info
            .start_ms
            .saturating_add(i64::from(zone_offset_s(info.start_ms)).saturating_mul(1000));
        local_ms.rem_euclid(86_400_000) as f64 / 60_000.0
    } else {
        0.0
    };
    let xs: Vec<f64> = records
        .iter()
        .map(|r| origin + r.time_ms.saturating_sub(info.start_ms) as f64 / 60_000.0)
        .collect();
    let x_start = xs.first().copied().unwrap_or(origin);
    let x_end = xs.last().copied().unwrap_or(origin).max(x_start + 1.0);
    let absolute = info.absolute_time;
    let x_label = move |minutes: &f64| {
        // Labels sit at round positions: rounding only drops a float's noise.
        let whole = minutes.round() as i64;
        if absolute {
            let of_day = whole.rem_euclid(24 * 60);
            format!("{:02}:{:02}", of_day / 60, of_day % 60)
        } else {
            format!("{whole}m")
        }
    };

    let value =
        |f: &dyn Fn(&podscale::sim::StepRecord) -> Option<f64>| steps(&xs, records.iter().map(f));
    let offered = value(&|r| Some(r.offered_m as f64));
    let served = value(&|r| Some(r.served_m as f64));
    let pods = value(&|r| Some(f64::from(r.spec_replicas)));
    let ready = value(&|r| Some(f64::from(r.ready_replicas)));

    let mut cpu_series = vec![
        ("asked", DEMAND, true, offered.clone()),
        ("served", SERVED, false, served.clone()),
    ];
    if let Some(target) = info.target_utilization {
        // The CPU at which the HPA is content with the ready pods: where "asked" meets this
        // line, it stops adding pods.
        let at_target = value(&|r| {
            Some(
                f64::from(r.ready_replicas) * info.cpu_request_m as f64 * f64::from(target) / 100.0,
            )
        });
        cpu_series.push(("HPA target for the ready pods", TARGET, true, at_target));
    }
    let mut panels: Vec<&str> = Vec::new();
    // A schedule alone (no demand at all) needs no CPU panel.
    if records.iter().any(|r| r.offered_m != 0 || r.usage_m != 0) || !info.has_keda {
        panels.push("cpu");
    }
    if info.has_hpa || info.has_keda {
        panels.push("replicas");
    }
    if info.target_utilization.is_some() {
        panels.push("utilization");
    }
    if info.has_vpa {
        panels.push("vpa");
    }
    let height = TITLE_HEIGHT + PANEL_HEIGHT * panels.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<std::io::Error>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        title.titled(&info.title, ("sans-serif", 22)).map_err(err)?;
        let areas = body.split_evenly((panels.len(), 1));
        let x_range = (x_start, x_end);
        // Cron windows: where a trigger was active, shaded behind the replicas.
        let mut bands = Vec::new();
        let mut open: Option<f64> = None;
        for (x, r) in xs.iter().zip(records) {
            match (r.cron_active == Some(true), open) {
                (true, None) => open = Some(*x),
                (false, Some(from)) => {
                    bands.push((from, *x));
                    open = None;
                }
                _ => {}
            }
        }
        if let Some(from) = open {
            bands.push((from, x_end));
        }
        for (name, area) in panels.iter().zip(&areas) {
            match *name {
                "cpu" => panel(
                    area,
                    "CPU: what the load asks for, and what the ready pods serve",
                    "millicores",
                    x_range,
                    top(
                        &cpu_series
                            .iter()
                            .map(|s| s.3.as_slice())
                            .collect::<Vec<_>>(),
                        100.0,
                    ),
                    &x_label,
                    &[],
                    &cpu_series,
                )?,
                "replicas" => panel(
                    area,
                    if info.has_keda {
                        "Replicas (shaded: cron trigger active)"
                    } else {
                        "Replicas"
                    },
                    "pods",
                    x_range,
                    top(&[&pods, &ready], 1.0).ceil(),
                    &x_label,
                    &bands,
                    &[
                        ("spec.replicas", PODS, false, pods.clone()),
                        ("ready", READY, true, ready.clone()),
                    ],
                )?,
                "utilization" => {
                    let target = f64::from(info.target_utilization.unwrap_or(0));
                    let seen = value(&|r| r.hpa.and_then(|h| h.utilization_percent).map(f64::from));
                    let used = value(&|r| r.ready_utilization_percent.map(|p| p as f64));
                    let target_line = vec![(x_start, target), (x_end, target)];
                    panel(
                        area,
                        "CPU utilization of the request: used, as the HPA saw it, and its target",
                        "percent",
                        x_range,
                        top(&[&seen, &used], target),
                        &x_label,
                        &[],
                        &[
                            ("used by ready pods", UTILIZATION, false, used),
                            ("HPA saw", USAGE, false, seen),
                            ("target", TARGET, true, target_line),
                        ],
                    )?
                }
                _ => {
                    let per_pod = value(&|r| {
                        (r.ready_replicas > 0)
                            .then(|| r.usage_m as f64 / f64::from(r.ready_replicas))
                    });
                    let field = |pick: fn(&podscale::sim::VpaStep) -> Option<i64>| {
                        value(&|r| r.vpa.as_ref().and_then(pick).map(|m| m as f64))
                    };
                    let target = field(|v| v.target.cpu_m);
                    let request = value(&|_| Some(info.cpu_request_m as f64));
                    let lower = field(|v| v.lower_bound.cpu_m);
                    let upper = field(|v| v.upper_bound.cpu_m);
                    panel(
                        area,
                        "VPA: CPU a pod uses, and the recommendation for its request",
                        "millicores",
                        x_range,
                        top(&[&per_pod, &target, &lower, &upper, &request], 100.0),
                        &x_label,
                        &[],
                        &[
                            ("usage per pod", USAGE, false, per_pod),
                            ("target", VPA_TARGET, false, target),
                            ("lower bound", VPA_BOUNDS, true, lower),
                            ("upper bound", VPA_BOUNDS, true, upper),
                            ("request now", DEMAND, true, request),
                        ],
                    )?
                }
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
