//! How recommendations are written into the VPA status: Kubernetes `resource.Quantity` strings,
//! optional rounding and the deprecated memory humanization [ResourcesAsResourceList,
//! QuantityFromCPUAmount, QuantityFromMemoryAmount, HumanizeMemoryQuantity].
//!
//! Everything renders through `Display`, so formatting never needs a buffer of its own.

use core::fmt::{self, Write as _};

use super::resources::{Resources, round_up_to_scale};

/// The decimal SI suffixes by power of ten [quantitySuffixer].
fn decimal_suffix(exponent: i32) -> Option<&'static str> {
    Some(match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => return None,
    })
}

/// The binary SI suffixes by power of 1024.
fn binary_suffix(power: u32) -> &'static str {
    match power {
        0 => "",
        1 => "Ki",
        2 => "Mi",
        3 => "Gi",
        4 => "Ti",
        5 => "Pi",
        _ => "Ei",
    }
}

/// Writes `value * 10^scale` in canonical decimal SI form [int64Amount.AsCanonicalBytes]: strip
/// factors of ten, then lower the exponent to a multiple of three.
fn write_decimal_si(f: &mut fmt::Formatter<'_>, value: i128, scale: i32) -> fmt::Result {
    if value == 0 {
        return f.write_str("0");
    }
    let negative = value < 0;
    let mut amount = value.unsigned_abs();
    let mut exponent = scale;
    while amount >= 10 && amount % 10 == 0 {
        amount /= 10;
        exponent = exponent.saturating_add(1);
    }
    // Go's `%` keeps the sign of the dividend, as Rust's does.
    match exponent % 3 {
        1 | -2 => {
            amount = amount.saturating_mul(10);
            exponent = exponent.saturating_sub(1);
        }
        2 | -1 => {
            amount = amount.saturating_mul(100);
            exponent = exponent.saturating_sub(2);
        }
        _ => {}
    }
    let sign = if negative { "-" } else { "" };
    match decimal_suffix(exponent) {
        Some(suffix) => write!(f, "{sign}{amount}{suffix}"),
        // Unreachable with the amounts and scales used here; spelled out anyway.
        None => write!(f, "{sign}{amount}e{exponent}"),
    }
}

/// A CPU amount rendered as upstream stores it, `NewScaledQuantity(m, -3)`
/// [QuantityFromCPUAmount].
///
/// ```
/// use podscale::vpa::CpuQuantity;
/// assert_eq!(CpuQuantity(587).to_string(), "587m");
/// assert_eq!(CpuQuantity(2000).to_string(), "2");
/// assert_eq!(CpuQuantity(1500).to_string(), "1500m");
/// assert_eq!(CpuQuantity(100_000_000_000_000).to_string(), "100G");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuQuantity(pub i64);

impl fmt::Display for CpuQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal_si(f, i128::from(self.0), -3)
    }
}

/// How a memory quantity is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MemoryFormat {
    /// Powers of 1024 (`250Mi`): `NewQuantity(bytes, BinarySI)`, VPA 1.5 and later.
    #[default]
    BinarySi,
    /// Powers of 1000 (`262144k`): `NewScaledQuantity(bytes, 0)`, VPA 1.4 and earlier.
    DecimalSi,
}

/// A memory amount rendered as a Kubernetes quantity [QuantityFromMemoryAmount].
///
/// In binary SI, amounts strictly between -1024 and 1024 are written in decimal SI, and amounts
/// not divisible by 1024 as a plain integer, as Kubernetes does [Quantity.CanonicalizeBytes].
///
/// ```
/// use podscale::vpa::{MemoryFormat, MemoryQuantity};
/// assert_eq!(MemoryQuantity::new(262_144_000).to_string(), "250Mi");
/// assert_eq!(MemoryQuantity { bytes: 262_144_000, format: MemoryFormat::DecimalSi }.to_string(), "262144k");
/// assert_eq!(MemoryQuantity::new(1000).to_string(), "1k");
/// assert_eq!(MemoryQuantity::new(1_500_000).to_string(), "1500000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryQuantity {
    /// The amount in bytes.
    pub bytes: i64,
    /// The notation.
    pub format: MemoryFormat,
}

impl MemoryQuantity {
    /// In upstream's current notation, binary SI.
    pub const fn new(bytes: i64) -> Self {
        Self {
            bytes,
            format: MemoryFormat::BinarySi,
        }
    }
}

impl fmt::Display for MemoryQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            MemoryFormat::DecimalSi => write_decimal_si(f, i128::from(self.bytes), 0),
            MemoryFormat::BinarySi => {
                // [Quantity.CanonicalizeBytes]: small values would read oddly as binary.
                if self.bytes > -1024 && self.bytes < 1024 {
                    return write_decimal_si(f, i128::from(self.bytes), 0);
                }
                let negative = self.bytes < 0;
                let mut amount = i128::from(self.bytes).unsigned_abs();
                let mut power = 0u32;
                // Go negates `MinInt64` into itself and strips nothing [removeInt64Factors].
                while self.bytes != i64::MIN && amount >= 1024 && amount % 1024 == 0 && power < 6 {
                    amount /= 1024;
                    power = power.saturating_add(1);
                }
                let sign = if negative { "-" } else { "" };
                write!(f, "{sign}{amount}{}", binary_suffix(power))
            }
        }
    }
}

const KI: i64 = 1024;
const MI: i64 = 1024 * KI;
const GI: i64 = 1024 * MI;
const TI: i64 = 1024 * GI;

/// The largest binary unit not above `bytes`, with its suffix, or `None` below 1 KiB.
fn humanize_unit(bytes: i64) -> Option<(i64, &'static str)> {
    if bytes >= TI {
        Some((TI, "Ti"))
    } else if bytes >= GI {
        Some((GI, "Gi"))
    } else if bytes >= MI {
        Some((MI, "Mi"))
    } else if bytes >= KI {
        Some((KI, "Ki"))
    } else {
        None
    }
}

/// The deprecated `--humanize-memory` rendering: two decimals of the largest binary unit not
/// above the value, or the plain integer below 1 KiB [HumanizeMemoryQuantity].
///
/// `core::fmt` rounds `{:.2}` exactly as Go's `%.2f` (correctly rounded, ties to even).
///
/// ```
/// use podscale::vpa::HumanizedMemory;
/// assert_eq!(HumanizedMemory(839_500_000).to_string(), "800.61Mi");
/// assert_eq!(HumanizedMemory(1537).to_string(), "1.50Ki");
/// assert_eq!(HumanizedMemory(1000).to_string(), "1000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanizedMemory(pub i64);

impl HumanizedMemory {
    /// The value of the rendered quantity in whole bytes, rounded up as `Quantity.Value()` does
    /// once upstream parses the string back: `"800.61Mi"` is `800.61 * 2^20 = 839500431.36`
    /// bytes, so 839500432 (checked against `resource.MustParse` of apimachinery v0.34.1).
    ///
    /// ```
    /// use podscale::vpa::HumanizedMemory;
    /// assert_eq!(HumanizedMemory(839_500_000).value_bytes(), 839_500_432);
    /// assert_eq!(HumanizedMemory(262_144_000).value_bytes(), 262_144_000);
    /// ```
    pub fn value_bytes(&self) -> i64 {
        let Some(hundredths) = self.parsed_hundredths() else {
            return self.0;
        };
        // Positive: the unit is at least 1 KiB. Ceiling of hundredths / 100.
        let value = hundredths.saturating_add(99) / 100;
        i64::try_from(value).unwrap_or(i64::MAX)
    }

    /// The value of the rendered quantity in milli-bytes, exact, as `Quantity.MilliValue()`
    /// reads it once upstream parses the string back: `"800.61Mi"` is 839500431360. Saturates
    /// at `i64::MAX` (above about 8 EiB).
    ///
    /// ```
    /// use podscale::vpa::HumanizedMemory;
    /// assert_eq!(HumanizedMemory(839_500_000).milli_value(), 839_500_431_360);
    /// assert_eq!(HumanizedMemory(1000).milli_value(), 1_000_000);
    /// ```
    pub fn milli_value(&self) -> i64 {
        let milli = match self.parsed_hundredths() {
            // Hundredths of a byte times 10; exact, as a binary unit over 100 has at most two
            // decimals.
            Some(hundredths) => hundredths.saturating_mul(10),
            None => i128::from(self.0).saturating_mul(1000),
        };
        i64::try_from(milli).unwrap_or(i64::MAX)
    }

    /// The parsed quantity as the VPA status holds it: Kubernetes' canonical form of
    /// `resource.MustParse` of the humanized text [Quantity.String]. Whole bytes keep the binary
    /// notation (`"1.50Gi"` becomes `1536Mi`); a fractional number of bytes falls back to
    /// decimal SI in milli-bytes, so `"800.61Mi"` becomes `839500431360m`.
    ///
    /// ```
    /// use podscale::vpa::HumanizedMemory;
    /// assert_eq!(HumanizedMemory(839_500_000).quantity().to_string(), "839500431360m");
    /// assert_eq!(HumanizedMemory(262_144_000).quantity().to_string(), "250Mi");
    /// assert_eq!(HumanizedMemory(1000).quantity().to_string(), "1k");
    /// ```
    pub const fn quantity(&self) -> HumanizedQuantity {
        HumanizedQuantity(*self)
    }

    /// The rendered value in hundredths of a byte: the two decimals Display writes, read back,
    /// times the unit; `None` below 1 KiB, where the text is the plain integer.
    fn parsed_hundredths(&self) -> Option<i128> {
        let (unit, _) = humanize_unit(self.0)?;
        // Read the two decimals back from the very digits Display writes.
        let mut digits = heapless::String::<48>::new();
        write!(digits, "{:.2}", self.0 as f64 / unit as f64).ok()?;
        let mut hundredths: i128 = 0;
        for c in digits.bytes().filter(u8::is_ascii_digit) {
            hundredths = hundredths
                .saturating_mul(10)
                .saturating_add(i128::from(c.saturating_sub(b'0')));
        }
        Some(hundredths.saturating_mul(i128::from(unit)))
    }
}

/// A humanized memory amount as the VPA status holds it, [`HumanizedMemory::quantity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanizedQuantity(HumanizedMemory);

impl fmt::Display for HumanizedQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(hundredths) = self.0.parsed_hundredths() else {
            // A plain integer parses as decimal SI [Quantity.CanonicalizeBytes].
            return write_decimal_si(f, i128::from(self.0.0), 0);
        };
        // A binary suffix parses as binary SI, which is kept only for whole bytes; otherwise
        // decimal SI, so as not to lose precision [Quantity.CanonicalizeBytes].
        match i64::try_from(hundredths / 100) {
            Ok(bytes) if hundredths % 100 == 0 => MemoryQuantity::new(bytes).fmt(f),
            _ => write_decimal_si(f, hundredths, -2),
        }
    }
}

impl fmt::Display for HumanizedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match humanize_unit(self.0) {
            Some((unit, suffix)) => write!(f, "{:.2}{suffix}", self.0 as f64 / unit as f64),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The recommender flags that shape the status values (`--round-cpu-millicores`,
/// `--round-memory-bytes`, `--humanize-memory`) [RecommendationFormat].
///
/// ```
/// use podscale::vpa::RecommendationFormat;
/// let f = RecommendationFormat::default();
/// assert_eq!((f.round_cpu_millicores, f.round_memory_bytes, f.humanize_memory), (1, 1, false));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RecommendationFormat {
    /// Render memory as two-decimal binary units (deprecated upstream, lossy).
    pub humanize_memory: bool,
    /// Round CPU up to a multiple of this many millicores; 1 leaves it as is.
    pub round_cpu_millicores: i64,
    /// Round memory up to a multiple of this many bytes; 1 leaves it as is.
    pub round_memory_bytes: i64,
}

impl Default for RecommendationFormat {
    /// The flags' defaults: no rounding, no humanization.
    fn default() -> Self {
        Self {
            humanize_memory: false,
            round_cpu_millicores: 1,
            round_memory_bytes: 1,
        }
    }
}

/// One status `ResourceList`: the rounded CPU and memory, and, with `--humanize-memory`, the
/// humanized text the memory value came from.
///
/// `Display` writes it as the status holds it, `cpu: 587m, memory: 250Mi`; humanized memory as
/// its parsed quantity ([`HumanizedMemory::quantity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormattedResources {
    /// CPU in millicores, after rounding.
    pub cpu_m: Option<i64>,
    /// Memory in bytes after rounding; when humanized, the value of the humanized quantity
    /// rounded up to whole bytes ([`HumanizedMemory::value_bytes`]).
    pub memory_bytes: Option<i64>,
    /// The humanized quantity, when `--humanize-memory` applied.
    pub humanized_memory: Option<HumanizedMemory>,
}

impl fmt::Display for FormattedResources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        if let Some(cpu) = self.cpu_m {
            write!(f, "cpu: {}", CpuQuantity(cpu))?;
            separator = ", ";
        }
        match (self.humanized_memory, self.memory_bytes) {
            (Some(humanized), _) => write!(f, "{separator}memory: {}", humanized.quantity()),
            (None, Some(bytes)) => write!(f, "{separator}memory: {}", MemoryQuantity::new(bytes)),
            (None, None) => Ok(()),
        }
    }
}

/// Rounds a non-zero amount up to the scale; a scale of 1 or an invalid one leaves it as is.
fn rounded(amount: i64, scale: i64) -> i64 {
    if scale == 1 || amount == 0 {
        amount
    } else {
        round_up_to_scale(amount, scale).unwrap_or(amount)
    }
}

/// The values written to the VPA status for one estimate [ResourcesAsResourceList]: CPU rounded
/// up to `round_cpu_millicores`, memory rounded up to `round_memory_bytes` and then optionally
/// humanized. Zero amounts are never rounded or humanized.
///
/// ```
/// use podscale::vpa::{resources_as_resource_list, RecommendationFormat, Resources};
/// let format = RecommendationFormat { round_cpu_millicores: 13, ..RecommendationFormat::default() };
/// let list = resources_as_resource_list(Resources::new(1_231_241, 839_500_000), &format);
/// assert_eq!(list.cpu_m, Some(1_231_243));
/// assert_eq!(list.to_string(), "cpu: 1231243m, memory: 839500000");
/// ```
pub fn resources_as_resource_list(
    resources: Resources,
    format: &RecommendationFormat,
) -> FormattedResources {
    let cpu_m = resources
        .cpu_m
        .map(|cpu| rounded(cpu, format.round_cpu_millicores));
    let mut memory_bytes = resources
        .memory_bytes
        .map(|memory| rounded(memory, format.round_memory_bytes));
    let mut humanized_memory = None;
    if format.humanize_memory {
        if let Some(bytes) = memory_bytes.filter(|b| *b != 0) {
            let humanized = HumanizedMemory(bytes);
            memory_bytes = Some(humanized.value_bytes());
            humanized_memory = Some(humanized);
        }
    }
    FormattedResources {
        cpu_m,
        memory_bytes,
        humanized_memory,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn cpu_canonical_forms() {
        let cases = [
            (0, "0"),
            (1, "1m"),
            (10, "10m"),
            (100, "100m"),
            (1000, "1"),
            (1001, "1001m"),
            (12_000, "12"),
            (1_000_000, "1k"),
            (-250, "-250m"),
            (i64::MAX, "9223372036854775807m"),
            (i64::MIN, "-9223372036854775808m"),
        ];
        for (m, text) in cases {
            assert_eq!(CpuQuantity(m).to_string(), text, "{m}");
        }
    }

    #[test]
    fn memory_canonical_forms() {
        let cases = [
            (0, "0"),
            (1023, "1023"),
            (1024, "1Ki"),
            (1025, "1025"),
            (1_048_576, "1Mi"),
            (131_072_000, "125Mi"),
            (87_381_333, "87381333"),
            (1_000_000_000, "1000000000"),
            (-2048, "-2Ki"),
            (i64::MIN, "-9223372036854775808"),
        ];
        for (bytes, text) in cases {
            assert_eq!(MemoryQuantity::new(bytes).to_string(), text, "{bytes}");
        }
    }

    #[test]
    fn humanize_matches_go() {
        let cases = [
            (1024, "1.00Ki"),
            (1_610_612_736, "1.50Gi"),
            (1_050_000, "1.00Mi"),
            (4_992_073_454, "4.65Gi"),
            (16_357_476_492, "15.23Gi"),
            (15_530_468_536, "14.46Gi"),
            // An exact tie (1.125 Ki) rounds to even, as Go's %.2f does.
            (1152, "1.12Ki"),
        ];
        for (bytes, text) in cases {
            assert_eq!(HumanizedMemory(bytes).to_string(), text, "{bytes}");
        }
    }

    #[test]
    fn formatted_list() {
        let format = RecommendationFormat {
            humanize_memory: true,
            ..RecommendationFormat::default()
        };
        let list = resources_as_resource_list(Resources::new(1000, 262_144_000), &format);
        // The status holds the parsed "250.00Mi" in canonical form.
        assert_eq!(list.to_string(), "cpu: 1, memory: 250Mi");
        let zero = resources_as_resource_list(Resources::new(0, 0), &format);
        assert_eq!(zero.humanized_memory, None);
        assert_eq!(
            resources_as_resource_list(Resources::NONE, &format).to_string(),
            ""
        );
    }
}
