//! KEDA: cron schedules in KEDA's dialect, the cron trigger's window, and a ScaledObject's
//! polls and generated HPA.

use std::collections::BTreeMap;

use napi::Env;
use napi::bindgen_prelude::{
    ClassInstance, Either, Float64Array, JsObjectValue, Object, Uint8Array, Unknown,
};
use napi_derive::napi;
use podscale_bindings::keda;
use serde::Serialize;

use crate::convert::{InstantArg, decode, encode, instant, instants, is_absent};
use crate::error::guard;
use crate::hpa::{read_state, write_state};

/// Unix milliseconds as a JavaScript number, `null` for none.
fn ms(t: Option<i64>) -> Option<f64> {
    t.map(|t| t as f64)
}

/// A cron expression in KEDA's dialect: robfig/cron v3 with five fields, descriptors
/// (`@hourly`), and `TZ=`/`CRON_TZ=` prefixes.
///
/// ```js
/// const weekdays = new CronSchedule('0 9 * * Mon-Fri')
/// weekdays.nextAfter('2024-05-03T10:00:00+09:00', 'Asia/Seoul') // Monday 09:00 KST, Unix ms
/// ```
#[napi]
#[derive(Debug)]
pub struct CronSchedule {
    inner: keda::CronSchedule,
}

#[napi]
impl CronSchedule {
    /// Parses `expression`.
    ///
    /// @throws {ValidationError} an expression KEDA refuses, with robfig's message
    /// (`end of range (61) above maximum (59): 61`).
    #[napi(constructor)]
    pub fn new(env: Env, expression: String) -> napi::Result<Self> {
        guard(&env, || {
            Ok(Self {
                inner: keda::CronSchedule::parse(&expression)?,
            })
        })
    }

    /// The expression as written.
    #[napi(getter)]
    pub fn expression(&self) -> String {
        self.inner.text().to_string()
    }

    /// The first firing strictly after `after` in the IANA zone `timezone`, Unix milliseconds;
    /// `null` when none comes within five years (robfig gives up there).
    ///
    /// @throws {ValidationError} an unknown zone or a bad instant.
    #[napi(ts_args_type = "after: Instant, timezone: string")]
    pub fn next_after(
        &self,
        env: Env,
        after: InstantArg<'_>,
        timezone: String,
    ) -> napi::Result<Option<f64>> {
        guard(&env, || {
            let after = instant(&after, "after")?;
            Ok(ms(self.inner.next_after(after, &timezone)?))
        })
    }

    /// The last firing at or before `at` in `timezone`, Unix milliseconds (podscale's own,
    /// what the civil window reads); `null` when none within five years.
    ///
    /// @throws {ValidationError} an unknown zone or a bad instant.
    #[napi(ts_args_type = "at: Instant, timezone: string")]
    pub fn previous_at_or_before(
        &self,
        env: Env,
        at: InstantArg<'_>,
        timezone: String,
    ) -> napi::Result<Option<f64>> {
        guard(&env, || {
            let at = instant(&at, "at")?;
            Ok(ms(self.inner.previous_at_or_before(at, &timezone)?))
        })
    }

    /// {@link CronSchedule.nextAfter} for each instant of `after` (Unix milliseconds); `NaN`
    /// where no firing comes.
    ///
    /// @throws {ValidationError} an unknown zone or an instant that is not whole milliseconds.
    #[napi]
    pub fn next_after_many(
        &self,
        env: Env,
        after: Float64Array,
        timezone: String,
    ) -> napi::Result<Float64Array> {
        guard(&env, || {
            let times = instants(&after, "after")?;
            let next = self.inner.next_after_many(&times, &timezone)?;
            Ok(Float64Array::new(
                next.into_iter()
                    .map(|t| t.map_or(f64::NAN, |t| t as f64))
                    .collect(),
            ))
        })
    }
}

/// A KEDA `cron` trigger: its metadata parsed and checked as KEDA checks it.
///
/// ```js
/// const trigger = CronTrigger.fromMetadata({ timezone: 'Asia/Seoul', start: '00,15,30,45 * * * *',
///   end: '05,20,35,50 * * * *', desiredReplicas: '1' })
/// trigger.evaluate('2024-05-01T10:17:00+09:00').active // true
/// ```
#[napi]
#[derive(Debug)]
pub struct CronTrigger {
    inner: keda::CronTrigger,
}

#[napi]
impl CronTrigger {
    /// A trigger from its `metadata` (`timezone`, `start`, `end`, `desiredReplicas`, all
    /// strings as in the manifest) and options: `index` (its position in `triggers`, part of
    /// the metric name; default 0), `windowMode` (`'Keda'`, default, or podscale's `'Civil'`)
    /// and `metricNameForm` (`'Current'` or `'BeforeV2_20'`).
    ///
    /// @throws {ValidationError} KEDA's message for the metadata, at `start`, `end`,
    /// `desiredReplicas` or the metadata as a whole.
    #[napi(
        constructor,
        ts_args_type = "metadata: Record<string, string>, options?: CronTriggerOptions"
    )]
    pub fn new(
        env: Env,
        metadata: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Self> {
        guard(&env, || {
            let metadata: BTreeMap<String, String> = decode(&env, &metadata, "")?;
            let mut json = match options {
                Some(o) if !is_absent(&o)? => crate::convert::to_json(&o, "")?,
                _ => serde_json::Value::Object(serde_json::Map::new()),
            };
            let index = match json.as_object_mut().and_then(|m| m.remove("index")) {
                None | Some(serde_json::Value::Null) => 0,
                Some(i) => crate::convert::from_json::<usize>(&env, i, "index")?,
            };
            let options: keda::CronTriggerOptions = crate::convert::from_json(&env, json, "")?;
            // The path is the metadata key itself: the metadata is the argument.
            let inner =
                keda::CronTrigger::from_metadata(&metadata, index, options).map_err(|e| {
                    podscale_bindings::Error {
                        path: e
                            .path
                            .replacen("metadata.", "", 1)
                            .replacen("metadata", "", 1),
                        ..e
                    }
                })?;
            Ok(Self { inner })
        })
    }

    /// `desiredReplicas`.
    #[napi(getter)]
    pub fn desired_replicas(&self) -> f64 {
        self.inner.desired_replicas() as f64
    }

    /// The external metric name KEDA gives the trigger (`s0-cron-Asia-Seoul-00,15,30,45xxxx-…`).
    #[napi(getter)]
    pub fn metric_name(&self) -> String {
        self.inner.metric_name()
    }

    /// Checks that the zone loads (KEDA itself only loads it when evaluating).
    ///
    /// @throws {ValidationError} an unknown zone, at `metadata.timezone`.
    #[napi]
    pub fn check_zone(&self, env: Env) -> napi::Result<()> {
        guard(&env, || Ok(self.inner.check_zone()?))
    }

    /// The trigger at `now`: active or not, the metric value it reports, and the next `start`
    /// and `end` firings (Unix milliseconds).
    ///
    /// @throws {PodscaleError} KEDA's runtime error for a zone that cannot be loaded.
    #[napi(ts_args_type = "now: Instant", ts_return_type = "CronActivity")]
    pub fn evaluate<'e>(&self, env: &'e Env, now: InstantArg<'e>) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            let now = instant(&now, "now")?;
            encode(env, &self.inner.evaluate(now)?)
        })
    }

    /// The trigger at each instant of `times` (Unix milliseconds), as columns: `active` (0 or
    /// 1), `metricValue`, `nextStart`, `nextEnd` (`NaN`: no firing).
    ///
    /// @throws {ValidationError} an instant that is not whole milliseconds.
    /// @throws {PodscaleError} as {@link CronTrigger.evaluate}.
    #[napi(ts_return_type = "CronColumns")]
    pub fn evaluate_many<'e>(&self, env: &'e Env, times: Float64Array) -> napi::Result<Object<'e>> {
        guard(env, || {
            let times = instants(&times, "times")?;
            let c = self.inner.evaluate_many(&times)?;
            let firing = |v: Vec<i64>| {
                Float64Array::new(
                    v.into_iter()
                        .map(|t| if t == i64::MIN { f64::NAN } else { t as f64 })
                        .collect(),
                )
            };
            let mut out = Object::new(env)?;
            out.set_named_property(
                "active",
                Uint8Array::new(c.active.into_iter().map(u8::from).collect()),
            )?;
            out.set_named_property("metricValue", Float64Array::new(c.metric_value))?;
            out.set_named_property("nextStart", firing(c.next_start))?;
            out.set_named_property("nextEnd", firing(c.next_end))?;
            Ok(out)
        })
    }
}

/// What a ScaledObject carries from poll to poll: `lastActiveTime` and the fallback health.
/// Methods that take it also take its plain-object form ({@link ScaledObjectStateData}),
/// updated in place.
#[napi]
#[derive(Debug, Default)]
pub struct ScaledObjectState {
    inner: keda::ScaledObjectState,
}

#[napi]
impl ScaledObjectState {
    /// A state never polled, optionally with `lastActiveTime`.
    ///
    /// @throws {ValidationError} a bad instant.
    #[napi(constructor, ts_args_type = "options?: { lastActiveTime?: Instant }")]
    pub fn new(env: Env, options: Option<Object<'_>>) -> napi::Result<Self> {
        guard(&env, || {
            let mut inner = keda::ScaledObjectState::new();
            if let Some(o) = options {
                let t: Option<InstantArg<'_>> =
                    o.get_named_property("lastActiveTime").map_err(|_| {
                        podscale_bindings::Error::validation("lastActiveTime", "an instant")
                    })?;
                inner.last_active_time_ms = t.map(|t| instant(&t, "lastActiveTime")).transpose()?;
            }
            Ok(Self { inner })
        })
    }

    /// A state from its plain-object form.
    ///
    /// @throws {ValidationError} a malformed state.
    #[napi(
        factory,
        js_name = "fromJSON",
        ts_args_type = "data: ScaledObjectStateData"
    )]
    pub fn from_json(env: Env, data: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            Ok(Self {
                inner: decode(&env, &data, "")?,
            })
        })
    }

    /// The plain-object form, exact.
    #[napi(js_name = "toJSON", ts_return_type = "ScaledObjectStateData")]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner))
    }

    /// `status.lastActiveTime`, Unix milliseconds.
    #[napi(getter)]
    pub fn last_active_time(&self) -> Option<f64> {
        ms(self.inner.last_active_time_ms)
    }
}

/// `minReplicas` and `maxReplicas` of the HPA KEDA generates.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HpaBounds {
    min_replicas: i32,
    max_replicas: i32,
}

/// A KEDA ScaledObject (`keda.sh/v1alpha1`): `metadata` (name, annotations,
/// `creationTimestamp`) and `spec` as in the manifest.
///
/// ```js
/// const so = new ScaledObject({ metadata: { name: 'quarter-hour' },
///   spec: { cooldownPeriod: 300, triggers: [{ type: 'cron', metadata: { ... } }] } })
/// const state = {}
/// so.poll(state, [{ active: true, metric: 1 }], 0, Date.now()).action // ScaleFromZero 0 -> 1
/// ```
#[napi]
#[derive(Debug)]
pub struct ScaledObject {
    inner: keda::ScaledObject,
}

#[napi]
impl ScaledObject {
    /// A ScaledObject from its manifest. Only what cannot be read is refused here; call
    /// {@link ScaledObject.validate} for KEDA's admission checks.
    ///
    /// @throws {ValidationError} the field that cannot be read.
    #[napi(constructor, ts_args_type = "manifest: ScaledObjectManifest")]
    pub fn new(env: Env, manifest: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            let manifest = decode(&env, &manifest, "")?;
            Ok(Self {
                inner: keda::ScaledObject::new(manifest)?,
            })
        })
    }

    /// Checks the ScaledObject as KEDA's admission webhook does.
    ///
    /// @throws {ValidationError} KEDA's message for the first problem.
    #[napi]
    pub fn validate(&self, env: Env) -> napi::Result<()> {
        guard(&env, || Ok(self.inner.validate()?))
    }

    /// The generated HPA's `minReplicas` and `maxReplicas`.
    #[napi(ts_return_type = "{ minReplicas: number; maxReplicas: number }")]
    pub fn hpa_bounds<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            let (min_replicas, max_replicas) = self.inner.hpa_bounds()?;
            encode(
                env,
                &HpaBounds {
                    min_replicas,
                    max_replicas,
                },
            )
        })
    }

    /// The generated HPA's name (`keda-hpa-<name>`, or
    /// `advanced.horizontalPodAutoscalerConfig.name`).
    ///
    /// @throws {ValidationError} a name longer than Kubernetes allows.
    #[napi]
    pub fn hpa_name(&self, env: Env) -> napi::Result<String> {
        guard(&env, || Ok(self.inner.hpa_name()?))
    }

    /// The HPA KEDA generates: name, bounds, `spec.metrics` as the manifest lists them, and
    /// `behavior`. Only `cron` triggers' metrics are known without their scalers.
    ///
    /// @throws {ValidationError} another trigger type, cron metadata KEDA refuses, or a
    /// ScaledObject KEDA refuses.
    #[napi(ts_return_type = "GeneratedHpa")]
    pub fn generated_hpa<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner.generated_hpa()?))
    }

    /// One poll of KEDA's scale loop at `options.now`, with the target at `options.replicas`
    /// and one observation per trigger (`{active, metric, error}`); updates `state` (a
    /// {@link ScaledObjectState}, or its plain-object form, updated in place).
    ///
    /// @throws {ValidationError} a malformed observation or option.
    /// @throws {PodscaleError} an observation count that is not the trigger count.
    #[napi(
        ts_args_type = "state: ScaledObjectState | ScaledObjectStateData, triggers: TriggerObservation[], options: { replicas: number; now: Instant }",
        ts_return_type = "Poll"
    )]
    pub fn poll<'e>(
        &self,
        env: &'e Env,
        state: Either<ClassInstance<'e, ScaledObjectState>, Object<'e>>,
        triggers: Unknown<'e>,
        options: Object<'e>,
    ) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            let triggers: Vec<keda::TriggerObservation> = decode(env, &triggers, "triggers")?;
            let now: InstantArg<'_> = options
                .get_named_property("now")
                .map_err(|_| podscale_bindings::Error::validation("now", "an instant"))?;
            let now = instant(&now, "now")?;
            let replicas: i32 = options
                .get_named_property("replicas")
                .map_err(|_| podscale_bindings::Error::validation("replicas", "a replica count"))?;
            let poll = match state {
                Either::A(mut class) => {
                    self.inner
                        .poll(&mut class.inner, &triggers, replicas, now)?
                }
                Either::B(mut object) => {
                    let mut s: keda::ScaledObjectState =
                        read_state(env, Some(&object), keda::ScaledObjectState::new())?;
                    let poll = self.inner.poll(&mut s, &triggers, replicas, now)?;
                    write_state(env, Some(&mut object), &s)?;
                    poll
                }
            };
            encode(env, &poll)
        })
    }

    /// The `autoscaling.keda.sh/paused-replicas` annotation, if set.
    #[napi(getter)]
    pub fn paused_replicas(&self, env: Env) -> napi::Result<Option<i32>> {
        guard(&env, || Ok(self.inner.paused_replicas()?))
    }
}
