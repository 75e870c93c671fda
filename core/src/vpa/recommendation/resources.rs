//! CPU and memory amounts as the recommender keeps them (`model.ResourceAmount`): integer
//! millicores and bytes, with upstream's float conversions and clamping.

use core::fmt;

/// The largest amount the recommender produces, `1e14` millicores or bytes [MaxResourceAmount].
///
/// Every conversion from a float clamps to `[0, MAX_RESOURCE_AMOUNT]`, so an infinite upper
/// bound (no history yet) comes out as this value.
pub const MAX_RESOURCE_AMOUNT: i64 = 100_000_000_000_000;

/// The two resources the recommender sizes.
///
/// ```
/// use podscale::vpa::ResourceKind;
/// assert_eq!(ResourceKind::Cpu.to_string(), "cpu");
/// assert_eq!(ResourceKind::ALL, [ResourceKind::Cpu, ResourceKind::Memory]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum ResourceKind {
    /// `cpu`, in millicores.
    Cpu,
    /// `memory`, in bytes.
    Memory,
}

impl ResourceKind {
    /// Both resources, CPU first: the order podscale visits them wherever upstream iterates a
    /// Go map (the results never depend on it).
    pub const ALL: [Self; 2] = [Self::Cpu, Self::Memory];

    /// The resource name as written in manifests.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CPU amount in millicores and a memory amount in bytes, each present or not: the
/// allocation-free form of a `ResourceList` restricted to the two resources VPA manages.
///
/// A missing entry is what upstream gets from a map without the key (and from a nil map);
/// podscale treats both alike, as every rule of the recommender, capping and updater does.
///
/// ```
/// use podscale::vpa::{ResourceKind, Resources};
/// let mut r = Resources::new(250, 512 * 1024 * 1024);
/// assert_eq!(r.get(ResourceKind::Cpu), Some(250));
/// r.set(ResourceKind::Memory, 1);
/// assert_eq!(r.memory_bytes, Some(1));
/// assert!(Resources::NONE.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Resources {
    /// CPU in millicores (`Quantity.MilliValue()`).
    pub cpu_m: Option<i64>,
    /// Memory in bytes (`Quantity.Value()`, which rounds a fractional quantity up).
    pub memory_bytes: Option<i64>,
}

impl Resources {
    /// No entries.
    pub const NONE: Self = Self {
        cpu_m: None,
        memory_bytes: None,
    };

    /// Both entries present.
    pub const fn new(cpu_m: i64, memory_bytes: i64) -> Self {
        Self {
            cpu_m: Some(cpu_m),
            memory_bytes: Some(memory_bytes),
        }
    }

    /// Only a CPU entry.
    pub const fn cpu(cpu_m: i64) -> Self {
        Self {
            cpu_m: Some(cpu_m),
            memory_bytes: None,
        }
    }

    /// Only a memory entry.
    pub const fn memory(memory_bytes: i64) -> Self {
        Self {
            cpu_m: None,
            memory_bytes: Some(memory_bytes),
        }
    }

    /// The entry for `kind`, in millicores or bytes.
    pub const fn get(&self, kind: ResourceKind) -> Option<i64> {
        match kind {
            ResourceKind::Cpu => self.cpu_m,
            ResourceKind::Memory => self.memory_bytes,
        }
    }

    /// Sets the entry for `kind`.
    pub fn set(&mut self, kind: ResourceKind, amount: i64) {
        match kind {
            ResourceKind::Cpu => self.cpu_m = Some(amount),
            ResourceKind::Memory => self.memory_bytes = Some(amount),
        }
    }

    /// Whether neither entry is present.
    pub const fn is_empty(&self) -> bool {
        self.cpu_m.is_none() && self.memory_bytes.is_none()
    }
}

/// `trunc(x)` clamped to `[0, MAX_RESOURCE_AMOUNT]` [resourceAmountFromFloat].
///
/// NaN is the one input upstream leaves to Go's conversion, which is platform-defined (amd64
/// gives `i64::MIN`, arm64 `0`); podscale gives `0`. It only happens for `0 * Inf` in an upper
/// bound without history, and there the pod minimum wins over either value.
pub(crate) fn resource_amount_from_float(amount: f64) -> i64 {
    if amount < 0.0 {
        0
    } else if amount > MAX_RESOURCE_AMOUNT as f64 {
        MAX_RESOURCE_AMOUNT
    } else {
        // Truncation toward zero, as Go's conversion; NaN becomes 0 (see above).
        amount as i64
    }
}

/// Millicores from cores: `trunc(cores * 1000)`, clamped [CPUAmountFromCores].
///
/// ```
/// use podscale::vpa::cpu_amount_from_cores;
/// assert_eq!(cpu_amount_from_cores(0.5111345375888706), 511);
/// assert_eq!(cpu_amount_from_cores(f64::INFINITY), 100_000_000_000_000);
/// ```
pub fn cpu_amount_from_cores(cores: f64) -> i64 {
    resource_amount_from_float(cores * 1000.0)
}

/// Cores from millicores: `m / 1000.0` [CoresFromCPUAmount].
///
/// ```
/// use podscale::vpa::cores_from_cpu_amount;
/// assert_eq!(cores_from_cpu_amount(69), 0.069);
/// ```
pub fn cores_from_cpu_amount(cpu_m: i64) -> f64 {
    cpu_m as f64 / 1000.0
}

/// Bytes from a float byte count: `trunc(bytes)`, clamped [MemoryAmountFromBytes].
///
/// ```
/// use podscale::vpa::memory_amount_from_bytes;
/// assert_eq!(memory_amount_from_bytes(43101249.99999996), 43101249);
/// ```
pub fn memory_amount_from_bytes(bytes: f64) -> i64 {
    resource_amount_from_float(bytes)
}

/// The byte count as a float [BytesFromMemoryAmount].
///
/// ```
/// use podscale::vpa::bytes_from_memory_amount;
/// assert_eq!(bytes_from_memory_amount(1024), 1024.0);
/// ```
pub fn bytes_from_memory_amount(memory_bytes: i64) -> f64 {
    memory_bytes as f64
}

/// `trunc(amount * factor)`, clamped to `[0, MAX_RESOURCE_AMOUNT]` [ScaleResource].
///
/// The product is one `f64` multiplication. The safety margin adds `scale_resource(base, 0.15)`
/// to `base`, which is not `scale_resource(base, 1.15)`: for 100 the first gives `100 + 15 =
/// 115`, the second `trunc(114.99999999999999) = 114`.
///
/// ```
/// use podscale::vpa::scale_resource;
/// assert_eq!(scale_resource(1213, 1.2414), 1505);
/// assert_eq!(scale_resource(5, -1.0), 0);
/// assert_eq!(scale_resource(3, 1e300), 100_000_000_000_000);
/// assert_eq!(100 + scale_resource(100, 0.15), 115);
/// assert_eq!(scale_resource(100, 1.15), 114);
/// ```
pub fn scale_resource(amount: i64, factor: f64) -> i64 {
    resource_amount_from_float(amount as f64 * factor)
}

/// Why [`round_up_to_scale`] left a value unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingError {
    /// The scale (`--round-cpu-millicores` or `--round-memory-bytes`) is zero or negative.
    NonPositiveScale {
        /// The scale given.
        scale: i64,
    },
}

impl fmt::Display for RoundingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Upstream's message, plus the value.
            Self::NonPositiveScale { scale } => {
                write!(f, "scale must be greater than zero (scale = {scale})")
            }
        }
    }
}

impl core::error::Error for RoundingError {}

/// `ceil(value / scale) * scale` [RoundUpToScale]: the quotient and its ceiling in `f64`, the
/// product in integers (saturating, where Go would wrap).
///
/// # Errors
///
/// [`RoundingError::NonPositiveScale`] for `scale <= 0`; upstream then keeps the value as is.
///
/// ```
/// use podscale::vpa::{round_up_to_scale, RoundingError};
/// assert_eq!(round_up_to_scale(100, 7), Ok(105));
/// assert_eq!(round_up_to_scale(100, 0), Err(RoundingError::NonPositiveScale { scale: 0 }));
/// ```
pub fn round_up_to_scale(value: i64, scale: i64) -> Result<i64, RoundingError> {
    if scale <= 0 {
        return Err(RoundingError::NonPositiveScale { scale });
    }
    // `int64(math.Ceil(...))`: saturating here where Go's conversion is platform-defined.
    Ok((libm::ceil(value as f64 / scale as f64) as i64).saturating_mul(scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_truncates() {
        assert_eq!(resource_amount_from_float(-0.0), 0);
        assert_eq!(resource_amount_from_float(f64::NAN), 0);
        assert_eq!(resource_amount_from_float(1e14), MAX_RESOURCE_AMOUNT);
        assert_eq!(resource_amount_from_float(1e14 + 0.5), MAX_RESOURCE_AMOUNT);
        assert_eq!(resource_amount_from_float(99.999), 99);
        assert_eq!(scale_resource(41208, 1e-6), 0);
        assert_eq!(scale_resource(511, 0.15), 76);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_up_to_scale(1_231_241, 13), Ok(1_231_243));
        assert_eq!(round_up_to_scale(839_500_000, 134_217_728), Ok(939_524_096));
        assert_eq!(round_up_to_scale(0, 5), Ok(0));
        assert!(round_up_to_scale(100, -5).is_err());
    }
}
