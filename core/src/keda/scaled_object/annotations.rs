//! The `autoscaling.keda.sh/*` annotations that change scaling, read as KEDA reads them.

use super::error::ScaledObjectError;
use super::go_strconv::go_parse_bool;

/// `autoscaling.keda.sh/paused`: stop scaling altogether.
pub const PAUSED_ANNOTATION: &str = "autoscaling.keda.sh/paused";
/// `autoscaling.keda.sh/paused-replicas`: stop scaling and hold the target at this count.
pub const PAUSED_REPLICAS_ANNOTATION: &str = "autoscaling.keda.sh/paused-replicas";
/// `autoscaling.keda.sh/paused-scale-in`: never scale in (KEDA and the HPA).
pub const PAUSED_SCALE_IN_ANNOTATION: &str = "autoscaling.keda.sh/paused-scale-in";
/// `autoscaling.keda.sh/paused-scale-out`: never scale out (KEDA and the HPA).
pub const PAUSED_SCALE_OUT_ANNOTATION: &str = "autoscaling.keda.sh/paused-scale-out";
/// `autoscaling.keda.sh/force-activation`: behave as if a trigger were active.
pub const FORCE_ACTIVATION_ANNOTATION: &str = "autoscaling.keda.sh/force-activation";

/// A boolean annotation's meaning: absent is false, and a value that is not a Go boolean counts
/// as true (`"yes"`, `""`) [getBoolAnnotation].
///
/// ```
/// use podscale::keda::annotation_flag;
/// assert!(!annotation_flag(None));
/// assert!(annotation_flag(Some("yes")));
/// assert!(!annotation_flag(Some("false")));
/// ```
pub fn annotation_flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| go_parse_bool(v).unwrap_or(true))
}

/// The scaling annotations of a ScaledObject, parsed.
///
/// ```
/// use podscale::keda::Annotations;
/// let annotations = Annotations::from_pairs([
///     ("autoscaling.keda.sh/paused-scale-in", "true"),
///     ("team", "payments"), // not a scaling annotation: ignored
/// ])?;
/// assert!(annotations.paused_scale_in && !annotations.is_paused());
/// # Ok::<(), podscale::keda::ScaledObjectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Annotations {
    /// `autoscaling.keda.sh/paused`, as a flag.
    pub paused: bool,
    /// `autoscaling.keda.sh/paused-replicas`.
    pub paused_replicas: Option<i32>,
    /// `autoscaling.keda.sh/paused-scale-in`, as a flag.
    pub paused_scale_in: bool,
    /// `autoscaling.keda.sh/paused-scale-out`, as a flag.
    pub paused_scale_out: bool,
    /// `autoscaling.keda.sh/force-activation`, as a flag.
    pub force_activation: bool,
}

impl Annotations {
    /// Reads the scaling annotations out of a ScaledObject's annotations; others are ignored.
    /// When a key repeats, the last value wins, as in a YAML map.
    ///
    /// # Errors
    ///
    /// `paused-replicas` that is not a 32-bit decimal integer (Go's `ParseInt(s, 10, 32)`)
    /// [GetPausedReplicaCount].
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ScaledObjectError<'a>> {
        let mut annotations = Self::default();
        for (key, value) in pairs {
            match key {
                PAUSED_ANNOTATION => annotations.paused = annotation_flag(Some(value)),
                PAUSED_REPLICAS_ANNOTATION => {
                    // Rust's i32 parser accepts what Go's ParseInt(s, 10, 32) does: an optional
                    // sign and decimal digits.
                    let count = value
                        .parse::<i32>()
                        .map_err(|_| ScaledObjectError::InvalidPausedReplicas { value })?;
                    annotations.paused_replicas = Some(count);
                }
                PAUSED_SCALE_IN_ANNOTATION => {
                    annotations.paused_scale_in = annotation_flag(Some(value));
                }
                PAUSED_SCALE_OUT_ANNOTATION => {
                    annotations.paused_scale_out = annotation_flag(Some(value));
                }
                FORCE_ACTIVATION_ANNOTATION => {
                    annotations.force_activation = annotation_flag(Some(value));
                }
                _ => {}
            }
        }
        Ok(annotations)
    }

    /// Whether the ScaledObject is paused: `paused-replicas` present, or `paused` true
    /// [NeedToBePausedByAnnotation].
    ///
    /// KEDA additionally waits until its controller has recorded `status.pausedReplicaCount`
    /// before treating a `paused-replicas` object as paused; podscale treats it as paused at
    /// once, which is where KEDA ends up one reconcile later.
    pub const fn is_paused(&self) -> bool {
        self.paused_replicas.is_some() || self.paused
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn paused_replicas_parse_like_go_parse_int_32() {
        let parse = |v| Annotations::from_pairs([(PAUSED_REPLICAS_ANNOTATION, v)]);
        assert_eq!(parse("3").unwrap().paused_replicas, Some(3));
        assert_eq!(parse("+3").unwrap().paused_replicas, Some(3));
        assert_eq!(parse("-1").unwrap().paused_replicas, Some(-1));
        assert_eq!(parse("007").unwrap().paused_replicas, Some(7));
        assert!(parse("2147483648").is_err());
        assert!(parse("1.0").is_err());
        assert!(parse(" 1").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn unparsable_flags_count_as_true() {
        let a = Annotations::from_pairs([
            (PAUSED_ANNOTATION, ""),
            (PAUSED_SCALE_OUT_ANNOTATION, "FALSE"),
            (FORCE_ACTIVATION_ANNOTATION, "on"),
        ])
        .unwrap();
        assert!(a.paused && a.is_paused());
        assert!(!a.paused_scale_out);
        assert!(a.force_activation);
    }

    #[test]
    fn paused_false_resumes() {
        let a = Annotations::from_pairs([(PAUSED_ANNOTATION, "false")]).unwrap();
        assert!(!a.is_paused());
    }
}
