//! The `advanced.scalingModifiers.formula` language: the part of expr-lang that KEDA formulas
//! use, parsed and evaluated in one pass over the text, without allocation
//! [calculateScalingModifiersFormula, validateScalingModifiersFormula].
//!
//! Operators and their expr-lang precedences, loosest first:
//!
//! | precedence | operators | associativity |
//! | --- | --- | --- |
//! | 0 | `c ? a : b` | right |
//! | 10 | `\|\|`, `or` | left |
//! | 15 | `&&`, `and` | left |
//! | 20 | `==` `!=` `<` `<=` `>` `>=` | left |
//! | 30 | `+` `-` | left |
//! | 50 | unary `!`, `not` | |
//! | 60 | `*` `/` `%` | left |
//! | 90 | unary `-` `+` | |
//! | 100 | `**`, `^` | right |
//! | 500 | `??` | left |
//!
//! Operands are numbers (`3`, `1_000`, `0x1F`, `2.5`, `1e3`), trigger names, `true`, `false`,
//! `nil`, parentheses and the builtins `min`, `max`, `abs`, `floor`, `ceil`, `round`, `float`
//! and `int`.
//!
//! Values follow expr-lang's runtime: integer literals stay integers (`+ - *` wrap as Go's
//! `int` does, `%` needs two integers), `/` and `**` always give a float, and float division
//! by zero gives `+Inf`, `-Inf` or `NaN` as Go's does (only integer `%` by zero is an error).
//! Trigger values are floats; a failing trigger is `nil`, which only `??` and `==` accept.
//! KEDA wraps every formula in `float(...)`, keeping a `nil` result when the formula contains
//! `??` [castToFloatIfNecessary]; [`evaluate_formula`] does the same.
//!
//! Not supported (an error, never a silent difference): strings, arrays, maps, member access,
//! `in`, ranges, pipes, `let`, the elvis `?:`, octal and binary literals, and expr-lang's other
//! builtins. Type errors that expr-lang finds when compiling are found here when the faulty
//! operation runs: [`check_formula`] runs the formula on KEDA's dummy values, as KEDA's
//! validation does, but an operation in a branch those values do not take is not checked.

use core::fmt;

/// How deeply parentheses, operators and calls may nest. Deeper formulas are refused rather
/// than risking the stack of a small target.
pub const MAX_FORMULA_DEPTH: usize = 32;

/// The longest number literal read, in bytes (digit separators included).
const MAX_NUMBER_LEN: usize = 64;

/// The type of a formula value, as expr-lang names it in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ValueKind {
    /// `nil`: a failing trigger, or the literal.
    Nil,
    /// `true` or `false`.
    Bool,
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Nil => "nil",
            Self::Bool => "bool",
            Self::Int => "int",
            Self::Float => "float64",
        })
    }
}

/// Why a formula could not be parsed or evaluated. Positions are byte offsets into the formula,
/// counted from 0; `text` is the offending part of the formula itself.
///
/// ```
/// use podscale::keda::evaluate_formula;
/// let err = evaluate_formula("a + * b", |_| Some(1.0)).unwrap_err();
/// assert_eq!(err.to_string(), "unexpected token \"*\" at position 4");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormulaError<'f> {
    /// A character that starts no token.
    UnexpectedCharacter {
        /// Where it is.
        position: usize,
        /// The character.
        text: &'f str,
    },
    /// A token where the grammar allows none of its kind.
    UnexpectedToken {
        /// Where it is.
        position: usize,
        /// The token.
        text: &'f str,
    },
    /// The formula ends where an operand, `)` or `:` is needed.
    UnexpectedEnd {
        /// The formula's length.
        position: usize,
    },
    /// A number literal that does not parse, overflows, or is too long.
    InvalidNumber {
        /// Where it starts.
        position: usize,
        /// The literal.
        text: &'f str,
    },
    /// A name that is not a trigger of the ScaledObject (with a `name`, not cpu or memory).
    UnknownName {
        /// Where it is.
        position: usize,
        /// The name.
        name: &'f str,
    },
    /// A call of a function that is not one of the supported builtins.
    UnknownFunction {
        /// Where it is.
        position: usize,
        /// The function's name.
        name: &'f str,
    },
    /// A builtin called with the wrong number of arguments.
    ArgumentCount {
        /// Where the call starts.
        position: usize,
        /// The function's name.
        function: &'f str,
        /// How many arguments were given.
        given: usize,
    },
    /// Nesting deeper than [`MAX_FORMULA_DEPTH`].
    TooDeep {
        /// Where the limit was crossed.
        position: usize,
    },
    /// A binary operator applied to values it does not take (for example `a % 2` on a float).
    InvalidOperation {
        /// Where the operator is.
        position: usize,
        /// The operator.
        operator: &'f str,
        /// The left operand's type.
        left: ValueKind,
        /// The right operand's type.
        right: ValueKind,
    },
    /// A unary operator, `&&`, `||` or `?:` applied to a value of the wrong type.
    InvalidOperand {
        /// Where the operator is.
        position: usize,
        /// The operator.
        operator: &'f str,
        /// The operand's type.
        operand: ValueKind,
    },
    /// A builtin given an argument of the wrong type.
    InvalidArgument {
        /// Where the call starts.
        position: usize,
        /// The function's name.
        function: &'f str,
        /// The argument's type.
        argument: ValueKind,
    },
    /// Integer `%` by zero.
    IntegerDivideByZero {
        /// Where the operator is.
        position: usize,
    },
    /// The formula's value is not a number: a bool, or `nil` in a formula without `??`.
    NotANumber {
        /// The value's type.
        result: ValueKind,
    },
}

impl fmt::Display for FormulaError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedCharacter { position, text } => {
                write!(f, "unexpected character \"{text}\" at position {position}")
            }
            Self::UnexpectedToken { position, text } => {
                write!(f, "unexpected token \"{text}\" at position {position}")
            }
            Self::UnexpectedEnd { position } => {
                write!(f, "unexpected end of formula at position {position}")
            }
            Self::InvalidNumber { position, text } => {
                write!(
                    f,
                    "invalid number literal \"{text}\" at position {position}"
                )
            }
            Self::UnknownName { position, name } => {
                write!(f, "unknown name \"{name}\" at position {position}")
            }
            Self::UnknownFunction { position, name } => {
                write!(f, "unknown function \"{name}\" at position {position}")
            }
            Self::ArgumentCount {
                position,
                function,
                given,
            } => write!(
                f,
                "wrong number of arguments ({given}) to call {function} at position {position}"
            ),
            Self::TooDeep { position } => write!(
                f,
                "formula nests deeper than {MAX_FORMULA_DEPTH} levels at position {position}"
            ),
            Self::InvalidOperation {
                position,
                operator,
                left,
                right,
            } => write!(
                f,
                "invalid operation: {left} {operator} {right} at position {position}"
            ),
            Self::InvalidOperand {
                position,
                operator,
                operand,
            } => write!(
                f,
                "invalid operation: \"{operator}\" on {operand} at position {position}"
            ),
            Self::InvalidArgument {
                position,
                function,
                argument,
            } => write!(
                f,
                "invalid argument for {function} (type {argument}) at position {position}"
            ),
            Self::IntegerDivideByZero { position } => {
                write!(f, "integer divide by zero at position {position}")
            }
            Self::NotANumber { result } => {
                write!(f, "formula result is {result}, not a number")
            }
        }
    }
}

impl core::error::Error for FormulaError<'_> {}

/// Evaluates `formula` with each trigger's value from `values`, as KEDA does on every poll and
/// HPA metrics request [calculateScalingModifiersFormula].
///
/// `values` returns `None` for a trigger passed as `nil` (failing, under the
/// `scalingModifiers` fallback behavior) or missing. The result is `None` only when the
/// formula contains `??` and yields `nil`, as KEDA's nil-preserving `float(...)` wrapper does.
///
/// # Errors
///
/// The first syntax or runtime error, with its position.
///
/// ```
/// use podscale::keda::evaluate_formula;
/// let values = |name: &str| match name {
///     "queue" => Some(12.0),
///     "cron" => Some(0.0),
///     _ => None, // "db" is failing
/// };
/// assert_eq!(evaluate_formula("cron > 0 ? max(queue, cron) : queue / 2", values), Ok(Some(6.0)));
/// assert_eq!(evaluate_formula("db ?? queue", values), Ok(Some(12.0)));
/// assert_eq!(evaluate_formula("db ?? nil", values), Ok(None));
/// assert_eq!(evaluate_formula("queue / cron", values), Ok(Some(f64::INFINITY))); // as in Go
/// ```
pub fn evaluate_formula<'f>(
    formula: &'f str,
    values: impl Fn(&str) -> Option<f64>,
) -> Result<Option<f64>, FormulaError<'f>> {
    let bindings = |name: &str| values(name).map_or(Binding::Nil, Binding::Value);
    run(formula, &bindings, true)
}

/// Checks `formula` as KEDA's webhook does [validateScalingModifiersFormula]: every name must
/// be a trigger for which `is_trigger` says yes (expr-lang's compile step), and the formula must
/// run without error with every trigger at KEDA's dummy value, -1.
///
/// # Errors
///
/// The first syntax error, unknown name or runtime error.
///
/// ```
/// use podscale::keda::{check_formula, FormulaError};
/// let triggers = |name: &str| name == "queue" || name == "cron";
/// assert!(check_formula("queue + cron", triggers).is_ok());
/// assert_eq!(
///     check_formula("queue + db", triggers),
///     Err(FormulaError::UnknownName { position: 8, name: "db" })
/// );
/// ```
pub fn check_formula<'f>(
    formula: &'f str,
    is_trigger: impl Fn(&str) -> bool,
) -> Result<(), FormulaError<'f>> {
    let bindings = |name: &str| {
        if is_trigger(name) {
            Binding::Value(-1.0)
        } else {
            Binding::Unknown
        }
    };
    run(formula, &bindings, true).map(|_| ())
}

/// Checks only the syntax of `formula` (any name is accepted and nothing is evaluated).
///
/// # Errors
///
/// The first syntax error.
///
/// ```
/// use podscale::keda::parse_formula;
/// assert!(parse_formula("a ?? b ?? 5").is_ok());
/// assert!(parse_formula("(a + b").is_err());
/// ```
pub fn parse_formula(formula: &str) -> Result<(), FormulaError<'_>> {
    run(formula, &|_| Binding::Nil, false).map(|_| ())
}

/// What a name stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Binding {
    /// A trigger's value.
    Value(f64),
    /// A trigger passed as nil.
    Nil,
    /// Not a trigger: a compile error in expr-lang.
    Unknown,
}

/// A runtime value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Value {
    const fn kind(self) -> ValueKind {
        match self {
            Self::Nil => ValueKind::Nil,
            Self::Bool(_) => ValueKind::Bool,
            Self::Int(_) => ValueKind::Int,
            Self::Float(_) => ValueKind::Float,
        }
    }

    /// The value as a float, for mixed arithmetic (Go's `float64(int)`).
    #[allow(clippy::cast_precision_loss)] // Go's conversion rounds the same way
    const fn number(self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(i as f64),
            Self::Float(x) => Some(x),
            Self::Nil | Self::Bool(_) => None,
        }
    }
}

/// Parses and evaluates; `eval == false` only parses (and checks names).
fn run<'f>(
    formula: &'f str,
    bindings: &dyn Fn(&str) -> Binding,
    eval: bool,
) -> Result<Option<f64>, FormulaError<'f>> {
    let mut parser = Parser::new(formula, bindings)?;
    let value = parser.expression(0, eval)?;
    if parser.current.kind != Kind::End {
        return Err(parser.unexpected());
    }
    if !eval {
        return Ok(None);
    }
    // KEDA compiles `float(formula)`, or a nil-preserving variant when the formula uses `??`
    // [castToFloatIfNecessary].
    match value {
        Value::Int(_) | Value::Float(_) => Ok(value.number()),
        Value::Nil if formula.contains("??") => Ok(None),
        other => Err(FormulaError::NotANumber {
            result: other.kind(),
        }),
    }
}

// ---- lexer ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Name,
    Operator,
    Open,
    Close,
    Comma,
    Question,
    Colon,
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token<'f> {
    kind: Kind,
    text: &'f str,
    position: usize,
}

struct Lexer<'f> {
    source: &'f str,
    position: usize,
}

impl<'f> Lexer<'f> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.source.as_bytes().get(at).copied()
    }

    /// Length of the run of bytes from `from` that satisfy `accept`.
    fn run_len(&self, from: usize, accept: impl Fn(u8) -> bool) -> usize {
        self.source
            .as_bytes()
            .get(from..)
            .map_or(0, |rest| rest.iter().take_while(|b| accept(**b)).count())
    }

    /// Length of the number literal at `start` (which is a digit) [lexer.number].
    fn number_len(&self, start: usize) -> usize {
        let digit_or_sep = |b: u8| b.is_ascii_digit() || b == b'_';
        let after = |n: usize| start.saturating_add(n);
        if self.byte(start) == Some(b'0') && matches!(self.byte(after(1)), Some(b'x' | b'X')) {
            let hex = self.run_len(after(2), |b| b.is_ascii_hexdigit() || b == b'_');
            return hex.saturating_add(2);
        }
        let mut len = self.run_len(start, digit_or_sep);
        // A fraction only when a digit follows the dot (`1..2` would be a range).
        if self.byte(after(len)) == Some(b'.')
            && self
                .byte(after(len.saturating_add(1)))
                .is_some_and(|b| b.is_ascii_digit())
        {
            len = len.saturating_add(1);
            len = len.saturating_add(self.run_len(after(len), digit_or_sep));
        }
        if matches!(self.byte(after(len)), Some(b'e' | b'E')) {
            let mut exponent = len.saturating_add(1);
            if matches!(self.byte(after(exponent)), Some(b'+' | b'-')) {
                exponent = exponent.saturating_add(1);
            }
            let digits = self.run_len(after(exponent), |b| b.is_ascii_digit());
            if digits > 0 {
                len = exponent.saturating_add(digits);
            }
        }
        len
    }

    fn next(&mut self) -> Result<Token<'f>, FormulaError<'f>> {
        let blank = self.run_len(self.position, |b| b.is_ascii_whitespace());
        self.position = self.position.saturating_add(blank);
        let start = self.position;
        let Some(first) = self.byte(start) else {
            return Ok(Token {
                kind: Kind::End,
                text: "",
                position: start,
            });
        };
        let second = self.byte(start.saturating_add(1));
        let (kind, len) = match (first, second) {
            (b'0'..=b'9', _) => (Kind::Number, self.number_len(start)),
            (b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$', _) => (
                Kind::Name,
                self.run_len(start, |b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
                }),
            ),
            (b'(', _) => (Kind::Open, 1),
            (b')', _) => (Kind::Close, 1),
            (b',', _) => (Kind::Comma, 1),
            (b':', _) => (Kind::Colon, 1),
            (b'?', Some(b'?')) => (Kind::Operator, 2),
            (b'?', _) => (Kind::Question, 1),
            (b'*', Some(b'*'))
            | (b'=' | b'!' | b'<' | b'>', Some(b'='))
            | (b'&', Some(b'&'))
            | (b'|', Some(b'|')) => (Kind::Operator, 2),
            (b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'!' | b'<' | b'>', _) => {
                (Kind::Operator, 1)
            }
            _ => {
                let width = self
                    .source
                    .get(start..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                let end = start.saturating_add(width);
                return Err(FormulaError::UnexpectedCharacter {
                    position: start,
                    text: self.source.get(start..end).unwrap_or(""),
                });
            }
        };
        let end = start.saturating_add(len);
        self.position = end;
        Ok(Token {
            kind,
            text: self.source.get(start..end).unwrap_or(""),
            position: start,
        })
    }
}

// ---- operators ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Coalesce,
}

/// The binary operator a token spells, its precedence and whether it is right-associative
/// [binaryOperators].
fn binary_operator(token: Token<'_>) -> Option<(BinaryOp, u16, bool)> {
    if !matches!(token.kind, Kind::Operator | Kind::Name) {
        return None;
    }
    Some(match token.text {
        "||" | "or" => (BinaryOp::Or, 10, false),
        "&&" | "and" => (BinaryOp::And, 15, false),
        "==" => (BinaryOp::Eq, 20, false),
        "!=" => (BinaryOp::Ne, 20, false),
        "<" => (BinaryOp::Lt, 20, false),
        "<=" => (BinaryOp::Le, 20, false),
        ">" => (BinaryOp::Gt, 20, false),
        ">=" => (BinaryOp::Ge, 20, false),
        "+" => (BinaryOp::Add, 30, false),
        "-" => (BinaryOp::Sub, 30, false),
        "*" => (BinaryOp::Mul, 60, false),
        "/" => (BinaryOp::Div, 60, false),
        "%" => (BinaryOp::Mod, 60, false),
        "**" | "^" => (BinaryOp::Pow, 100, true),
        "??" => (BinaryOp::Coalesce, 500, false),
        _ => return None,
    })
}

/// The precedence a unary operator parses its operand at [unaryOperators].
fn unary_precedence(token: Token<'_>) -> Option<u16> {
    match (token.kind, token.text) {
        (Kind::Operator, "!") | (Kind::Name, "not") => Some(50),
        (Kind::Operator, "-" | "+") => Some(90),
        _ => None,
    }
}

/// Words that are operators or reserved, never trigger names.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "and" | "or" | "not" | "in" | "matches" | "contains" | "let"
    )
}

fn binary<'f>(
    op: BinaryOp,
    left: Value,
    right: Value,
    token: Token<'f>,
) -> Result<Value, FormulaError<'f>> {
    let mismatch = || FormulaError::InvalidOperation {
        position: token.position,
        operator: token.text,
        left: left.kind(),
        right: right.kind(),
    };
    let numbers = || match (left.number(), right.number()) {
        (Some(l), Some(r)) => Ok((l, r)),
        _ => Err(mismatch()),
    };
    Ok(match (op, left, right) {
        (BinaryOp::Add, Value::Int(l), Value::Int(r)) => Value::Int(l.wrapping_add(r)),
        (BinaryOp::Sub, Value::Int(l), Value::Int(r)) => Value::Int(l.wrapping_sub(r)),
        (BinaryOp::Mul, Value::Int(l), Value::Int(r)) => Value::Int(l.wrapping_mul(r)),
        (BinaryOp::Add, ..) => numbers().map(|(l, r)| Value::Float(l + r))?,
        (BinaryOp::Sub, ..) => numbers().map(|(l, r)| Value::Float(l - r))?,
        (BinaryOp::Mul, ..) => numbers().map(|(l, r)| Value::Float(l * r))?,
        // `/` is always float division in expr-lang: x/0 is ±Inf, 0/0 NaN [runtime.Divide].
        (BinaryOp::Div, ..) => numbers().map(|(l, r)| Value::Float(l / r))?,
        (BinaryOp::Mod, Value::Int(_), Value::Int(0)) => {
            return Err(FormulaError::IntegerDivideByZero {
                position: token.position,
            });
        }
        // Go's % truncates toward zero as Rust's; MinInt64 % -1 (the one overflow) is 0 in Go.
        (BinaryOp::Mod, Value::Int(l), Value::Int(r)) => Value::Int(l.checked_rem(r).unwrap_or(0)),
        (BinaryOp::Mod, ..) => return Err(mismatch()),
        (BinaryOp::Pow, ..) => numbers().map(|(l, r)| Value::Float(libm::pow(l, r)))?,
        (BinaryOp::Lt, Value::Int(l), Value::Int(r)) => Value::Bool(l < r),
        (BinaryOp::Le, Value::Int(l), Value::Int(r)) => Value::Bool(l <= r),
        (BinaryOp::Gt, Value::Int(l), Value::Int(r)) => Value::Bool(l > r),
        (BinaryOp::Ge, Value::Int(l), Value::Int(r)) => Value::Bool(l >= r),
        (BinaryOp::Lt, ..) => numbers().map(|(l, r)| Value::Bool(l < r))?,
        (BinaryOp::Le, ..) => numbers().map(|(l, r)| Value::Bool(l <= r))?,
        (BinaryOp::Gt, ..) => numbers().map(|(l, r)| Value::Bool(l > r))?,
        (BinaryOp::Ge, ..) => numbers().map(|(l, r)| Value::Bool(l >= r))?,
        (BinaryOp::Eq, ..) => Value::Bool(equal(left, right)),
        (BinaryOp::Ne, ..) => Value::Bool(!equal(left, right)),
        // Short-circuiting operators are applied by the parser.
        (BinaryOp::Or | BinaryOp::And | BinaryOp::Coalesce, ..) => return Err(mismatch()),
    })
}

/// expr-lang's `==`: numbers compare by value across int and float; other types only equal
/// their own kind; nil equals nil [runtime.Equal].
fn equal(left: Value, right: Value) -> bool {
    match (left, right) {
        (Value::Int(l), Value::Int(r)) => l == r,
        (Value::Bool(l), Value::Bool(r)) => l == r,
        (Value::Nil, Value::Nil) => true,
        _ => match (left.number(), right.number()) {
            (Some(l), Some(r)) => l == r,
            _ => false,
        },
    }
}

fn unary<'f>(token: Token<'f>, operand: Value) -> Result<Value, FormulaError<'f>> {
    let invalid = || FormulaError::InvalidOperand {
        position: token.position,
        operator: token.text,
        operand: operand.kind(),
    };
    match (token.text, operand) {
        ("!" | "not", Value::Bool(b)) => Ok(Value::Bool(!b)),
        ("-", Value::Int(i)) => Ok(Value::Int(i.wrapping_neg())),
        ("-", Value::Float(x)) => Ok(Value::Float(-x)),
        ("+", Value::Int(_) | Value::Float(_)) => Ok(operand),
        _ => Err(invalid()),
    }
}

// ---- builtins -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Min,
    Max,
    Abs,
    Floor,
    Ceil,
    Round,
    Float,
    Int,
}

impl Builtin {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "min" => Self::Min,
            "max" => Self::Max,
            "abs" => Self::Abs,
            "floor" => Self::Floor,
            "ceil" => Self::Ceil,
            "round" => Self::Round,
            "float" => Self::Float,
            "int" => Self::Int,
            _ => return None,
        })
    }

    const fn variadic(self) -> bool {
        matches!(self, Self::Min | Self::Max)
    }

    /// Folds one more argument of `min`/`max` into the running result [minMax]: a later
    /// argument replaces the result only when strictly smaller (larger).
    fn fold<'f>(
        self,
        result: Option<Value>,
        argument: Value,
        call: Token<'f>,
    ) -> Result<Value, FormulaError<'f>> {
        let Some(x) = argument.number() else {
            return Err(FormulaError::InvalidArgument {
                position: call.position,
                function: call.text,
                argument: argument.kind(),
            });
        };
        let Some(current) = result else {
            return Ok(argument);
        };
        let replace = match (current, argument) {
            (Value::Int(c), Value::Int(a)) => {
                if self == Self::Max {
                    c < a
                } else {
                    a < c
                }
            }
            _ => {
                let c = current.number().unwrap_or(f64::NAN);
                if self == Self::Max { c < x } else { x < c }
            }
        };
        Ok(if replace { argument } else { current })
    }

    /// Applies a one-argument builtin.
    #[allow(clippy::cast_precision_loss)] // Go's float64(int) rounds the same way
    fn apply<'f>(self, argument: Value, call: Token<'f>) -> Result<Value, FormulaError<'f>> {
        let invalid = || FormulaError::InvalidArgument {
            position: call.position,
            function: call.text,
            argument: argument.kind(),
        };
        let x = argument.number().ok_or_else(invalid)?;
        Ok(match (self, argument) {
            (Self::Abs, Value::Int(i)) => Value::Int(if i < 0 { i.wrapping_neg() } else { i }),
            (Self::Abs, _) => Value::Float(libm::fabs(x)),
            (Self::Floor, _) => Value::Float(libm::floor(x)),
            (Self::Ceil, _) => Value::Float(libm::ceil(x)),
            // math.Round: half away from zero, as libm's round.
            (Self::Round, _) => Value::Float(libm::round(x)),
            (Self::Float, _) => Value::Float(x),
            (Self::Int, Value::Int(_)) => argument,
            // Go's int(float64) truncates; out of range it is implementation-defined, podscale
            // saturates (NaN gives 0).
            (Self::Int, _) => Value::Int(x as i64),
            (Self::Min | Self::Max, _) => return Err(invalid()),
        })
    }
}

// ---- parser ---------------------------------------------------------------------------------

struct Parser<'f, 'b> {
    lexer: Lexer<'f>,
    current: Token<'f>,
    bindings: &'b dyn Fn(&str) -> Binding,
    depth: usize,
}

impl<'f, 'b> Parser<'f, 'b> {
    fn new(
        formula: &'f str,
        bindings: &'b dyn Fn(&str) -> Binding,
    ) -> Result<Self, FormulaError<'f>> {
        let mut lexer = Lexer {
            source: formula,
            position: 0,
        };
        let current = lexer.next()?;
        Ok(Self {
            lexer,
            current,
            bindings,
            depth: 0,
        })
    }

    fn advance(&mut self) -> Result<(), FormulaError<'f>> {
        self.current = self.lexer.next()?;
        Ok(())
    }

    /// The error for the current token where it does not fit.
    fn unexpected(&self) -> FormulaError<'f> {
        if self.current.kind == Kind::End {
            FormulaError::UnexpectedEnd {
                position: self.current.position,
            }
        } else {
            FormulaError::UnexpectedToken {
                position: self.current.position,
                text: self.current.text,
            }
        }
    }

    fn expect(&mut self, kind: Kind) -> Result<(), FormulaError<'f>> {
        if self.current.kind == kind {
            self.advance()
        } else {
            Err(self.unexpected())
        }
    }

    /// An expression whose binary operators bind at least as tightly as `precedence`
    /// [parser.parseExpression]. With `eval == false` the text is parsed (and names checked)
    /// but nothing is computed: the untaken side of `&&`, `||`, `??` and `?:`.
    fn expression(&mut self, precedence: u16, eval: bool) -> Result<Value, FormulaError<'f>> {
        self.depth = self.depth.saturating_add(1);
        let result = if self.depth > MAX_FORMULA_DEPTH {
            Err(FormulaError::TooDeep {
                position: self.current.position,
            })
        } else {
            self.binary_chain(precedence, eval)
        };
        self.depth = self.depth.saturating_sub(1);
        result
    }

    fn binary_chain(&mut self, precedence: u16, eval: bool) -> Result<Value, FormulaError<'f>> {
        let mut left = self.primary(eval)?;
        while let Some((op, op_precedence, right_associative)) = binary_operator(self.current) {
            if op_precedence < precedence {
                break;
            }
            let token = self.current;
            self.advance()?;
            let next = if right_associative {
                op_precedence
            } else {
                op_precedence.saturating_add(1)
            };
            left = match op {
                BinaryOp::And | BinaryOp::Or => {
                    let left_bool = match left {
                        _ if !eval => false,
                        Value::Bool(b) => b,
                        other => {
                            return Err(FormulaError::InvalidOperand {
                                position: token.position,
                                operator: token.text,
                                operand: other.kind(),
                            });
                        }
                    };
                    // The right side runs only when the left does not decide [OpJumpIfFalse].
                    let decided = if op == BinaryOp::And {
                        !left_bool
                    } else {
                        left_bool
                    };
                    let right = self.expression(next, eval && !decided)?;
                    match right {
                        _ if !eval => Value::Nil,
                        _ if decided => Value::Bool(left_bool),
                        Value::Bool(b) => Value::Bool(b),
                        other => {
                            return Err(FormulaError::InvalidOperand {
                                position: token.position,
                                operator: token.text,
                                operand: other.kind(),
                            });
                        }
                    }
                }
                BinaryOp::Coalesce => {
                    let take_right = eval && left == Value::Nil;
                    let right = self.expression(next, take_right)?;
                    if take_right { right } else { left }
                }
                _ => {
                    let right = self.expression(next, eval)?;
                    if eval {
                        binary(op, left, right, token)?
                    } else {
                        Value::Nil
                    }
                }
            };
        }
        if precedence == 0 {
            // [parser.parseConditional]
            while self.current.kind == Kind::Question {
                let question = self.current;
                self.advance()?;
                let condition = match left {
                    _ if !eval => false,
                    Value::Bool(b) => b,
                    other => {
                        return Err(FormulaError::InvalidOperand {
                            position: question.position,
                            operator: question.text,
                            operand: other.kind(),
                        });
                    }
                };
                let yes = self.expression(0, eval && condition)?;
                self.expect(Kind::Colon)?;
                let no = self.expression(0, eval && !condition)?;
                left = match () {
                    () if !eval => Value::Nil,
                    () if condition => yes,
                    () => no,
                };
            }
        }
        Ok(left)
    }

    /// A unary operation, parenthesised expression, literal, name or call [parsePrimary].
    fn primary(&mut self, eval: bool) -> Result<Value, FormulaError<'f>> {
        let token = self.current;
        if let Some(precedence) = unary_precedence(token) {
            self.advance()?;
            let operand = self.expression(precedence, eval)?;
            return if eval {
                unary(token, operand)
            } else {
                Ok(Value::Nil)
            };
        }
        match token.kind {
            Kind::Open => {
                self.advance()?;
                let value = self.expression(0, eval)?;
                self.expect(Kind::Close)?;
                Ok(value)
            }
            Kind::Number => {
                self.advance()?;
                number(token)
            }
            Kind::Name => {
                self.advance()?;
                match token.text {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "nil" => Ok(Value::Nil),
                    name if is_keyword(name) => Err(FormulaError::UnexpectedToken {
                        position: token.position,
                        text: name,
                    }),
                    _ if self.current.kind == Kind::Open => self.call(token, eval),
                    name => match (self.bindings)(name) {
                        Binding::Value(x) => Ok(Value::Float(x)),
                        Binding::Nil => Ok(Value::Nil),
                        Binding::Unknown => Err(FormulaError::UnknownName {
                            position: token.position,
                            name,
                        }),
                    },
                }
            }
            _ => Err(self.unexpected()),
        }
    }

    /// A builtin call; the current token is its `(` [parseCall].
    fn call(&mut self, name: Token<'f>, eval: bool) -> Result<Value, FormulaError<'f>> {
        let builtin = Builtin::named(name.text).ok_or(FormulaError::UnknownFunction {
            position: name.position,
            name: name.text,
        })?;
        self.advance()?;
        let mut given: usize = 0;
        let mut result: Option<Value> = None;
        if self.current.kind != Kind::Close {
            loop {
                let argument = self.expression(0, eval)?;
                given = given.saturating_add(1);
                if eval {
                    result = Some(if builtin.variadic() {
                        builtin.fold(result, argument, name)?
                    } else {
                        // Extra arguments are an arity error below; the first one is kept.
                        result.unwrap_or(argument)
                    });
                }
                match self.current.kind {
                    Kind::Comma => self.advance()?,
                    Kind::Close => break,
                    _ => return Err(self.unexpected()),
                }
            }
        }
        self.expect(Kind::Close)?;
        let arity_ok = if builtin.variadic() {
            given >= 1
        } else {
            given == 1
        };
        if !arity_ok {
            return Err(FormulaError::ArgumentCount {
                position: name.position,
                function: name.text,
                given,
            });
        }
        match result {
            Some(value) if !builtin.variadic() => builtin.apply(value, name),
            Some(value) => Ok(value),
            None => Ok(Value::Nil),
        }
    }
}

/// A number literal's value: decimal or `0x` integers, or floats [parser.parsePrimary Number].
fn number(token: Token<'_>) -> Result<Value, FormulaError<'_>> {
    let invalid = || FormulaError::InvalidNumber {
        position: token.position,
        text: token.text,
    };
    // expr-lang drops the `_` digit separators first.
    let mut buffer = [0u8; MAX_NUMBER_LEN];
    let mut len: usize = 0;
    for &b in token.text.as_bytes().iter().filter(|b| **b != b'_') {
        *buffer.get_mut(len).ok_or_else(invalid)? = b;
        len = len.saturating_add(1);
    }
    let digits = buffer.get(..len).ok_or_else(invalid)?;
    let text = core::str::from_utf8(digits).map_err(|_| invalid())?;
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16)
            .map(Value::Int)
            .map_err(|_| invalid());
    }
    if text.contains(['.', 'e', 'E']) {
        // Go's ParseFloat reports overflow to infinity as an error.
        return match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Float(x)),
            _ => Err(invalid()),
        };
    }
    text.parse::<i64>().map(Value::Int).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]

    use super::*;

    fn eval(formula: &str) -> Result<Option<f64>, FormulaError<'_>> {
        evaluate_formula(formula, |name| match name {
            "a" => Some(2.0),
            "b" => Some(3.0),
            "zero" => Some(0.0),
            "cron" => Some(10.0),
            _ => None,
        })
    }

    fn value(formula: &str) -> f64 {
        eval(formula).unwrap().unwrap()
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(value("1 + 2 * 3"), 7.0);
        assert_eq!(value("(1 + 2) * 3"), 9.0);
        assert_eq!(value("10 - 4 - 3"), 3.0); // left-associative
        assert_eq!(value("2 ** 3 ** 2"), 512.0); // right-associative
        assert_eq!(value("-2 ** 2"), -4.0); // unary minus binds looser than **
        assert_eq!(value("-a * b"), -6.0);
        assert_eq!(value("7 % 3"), 1.0);
        assert_eq!(value("-7 % 3"), -1.0); // Go truncates toward zero
        assert_eq!(value("7 / 2"), 3.5); // `/` is float division even on integers
        assert_eq!(value("1_000 + 0x10"), 1016.0);
        assert_eq!(value("1.5e3"), 1500.0);
        assert_eq!(value("2 ^ 10"), 1024.0);
        assert_eq!(value("+a"), 2.0);
    }

    #[test]
    fn division_by_zero_is_ieee_as_in_go() {
        assert_eq!(value("a / zero"), f64::INFINITY);
        assert_eq!(value("-a / zero"), f64::NEG_INFINITY);
        assert!(value("zero / zero").is_nan());
        assert_eq!(value("1 / 0"), f64::INFINITY);
        assert_eq!(
            eval("1 % 0"),
            Err(FormulaError::IntegerDivideByZero { position: 2 })
        );
    }

    #[test]
    fn comparisons_logic_and_ternary() {
        assert_eq!(value("a < b ? 1 : 0"), 1.0);
        assert_eq!(value("a >= b ? 1 : 0"), 0.0);
        assert_eq!(value("a == 2 && b != 2 ? 1 : 0"), 1.0);
        assert_eq!(value("a == 2.0 ? 1 : 0"), 1.0); // int and float compare by value
        assert_eq!(value("!(a > b) || false ? 1 : 0"), 1.0);
        assert_eq!(value("not (a > b) and true ? 1 : 0"), 1.0);
        assert_eq!(value("a > 5 ? 1 : b > 5 ? 2 : 3"), 3.0); // right-nested
        assert_eq!(value("cron > 0 ? max(a, b) : 0"), 3.0);
        // `&&` and `||` short-circuit: the right side is parsed but not run.
        assert_eq!(value("false && (1 % 0 == 0) ? 1 : 2"), 2.0);
        assert_eq!(value("true || (1 % 0 == 0) ? 1 : 2"), 1.0);
        // The untaken branch of ?: is not run either.
        assert_eq!(value("true ? 1 : 1 % 0"), 1.0);
    }

    #[test]
    fn nil_coalescing() {
        assert_eq!(value("failing ?? 5"), 5.0);
        assert_eq!(value("failing ?? also_failing ?? a"), 2.0);
        assert_eq!(value("a ?? (1 % 0)"), 2.0); // not run
        assert_eq!(value("failing ?? a + 1"), 3.0); // ?? binds tighter than +
        assert_eq!(eval("failing ?? nil"), Ok(None));
        assert_eq!(value("failing == nil ? 1 : 0"), 1.0);
        // Without ??, a nil result is an error, as KEDA's float(...) wrapper gives.
        assert_eq!(
            eval("failing"),
            Err(FormulaError::NotANumber {
                result: ValueKind::Nil
            })
        );
        assert!(matches!(
            eval("failing + 1"),
            Err(FormulaError::InvalidOperation {
                left: ValueKind::Nil,
                ..
            })
        ));
    }

    #[test]
    fn builtins() {
        assert_eq!(value("min(a, b, 1)"), 1.0);
        assert_eq!(value("max(a, b)"), 3.0);
        assert_eq!(value("max(1, 2.5)"), 2.5);
        assert_eq!(value("abs(-a)"), 2.0);
        assert_eq!(value("abs(-3)"), 3.0);
        assert_eq!(value("floor(2.7) + ceil(2.1)"), 5.0);
        assert_eq!(value("round(2.5)"), 3.0);
        assert_eq!(value("round(-2.5)"), -3.0);
        assert_eq!(value("int(7.9) % 4"), 3.0);
        assert_eq!(value("float(3)"), 3.0);
        assert_eq!(
            eval("abs(1, 2)"),
            Err(FormulaError::ArgumentCount {
                position: 0,
                function: "abs",
                given: 2
            })
        );
        assert_eq!(
            eval("max()"),
            Err(FormulaError::ArgumentCount {
                position: 0,
                function: "max",
                given: 0
            })
        );
        assert_eq!(
            eval("sqrt(4)"),
            Err(FormulaError::UnknownFunction {
                position: 0,
                name: "sqrt"
            })
        );
        assert!(matches!(
            eval("max(true, 1)"),
            Err(FormulaError::InvalidArgument { .. })
        ));
    }

    #[test]
    fn type_errors() {
        // expr-lang only has integer %: a trigger value is a float.
        assert_eq!(
            eval("a % 2"),
            Err(FormulaError::InvalidOperation {
                position: 2,
                operator: "%",
                left: ValueKind::Float,
                right: ValueKind::Int
            })
        );
        assert!(matches!(
            eval("a && true"),
            Err(FormulaError::InvalidOperand { .. })
        ));
        assert!(matches!(
            eval("a ? 1 : 2"),
            Err(FormulaError::InvalidOperand { .. })
        ));
        assert!(matches!(
            eval("!a"),
            Err(FormulaError::InvalidOperand { .. })
        ));
        assert_eq!(
            eval("a > 1"),
            Err(FormulaError::NotANumber {
                result: ValueKind::Bool
            })
        );
    }

    #[test]
    fn syntax_errors_name_position_and_text() {
        assert_eq!(
            eval("a + # b"),
            Err(FormulaError::UnexpectedCharacter {
                position: 4,
                text: "#"
            })
        );
        assert_eq!(
            eval("a + é"),
            Err(FormulaError::UnexpectedCharacter {
                position: 4,
                text: "é"
            })
        );
        assert_eq!(
            eval("(a + b"),
            Err(FormulaError::UnexpectedEnd { position: 6 })
        );
        assert_eq!(
            eval("a b"),
            Err(FormulaError::UnexpectedToken {
                position: 2,
                text: "b"
            })
        );
        assert_eq!(eval(""), Err(FormulaError::UnexpectedEnd { position: 0 }));
        assert_eq!(
            eval("a > 1 ? 1"),
            Err(FormulaError::UnexpectedEnd { position: 9 })
        );
        assert_eq!(
            eval("a = 1"),
            Err(FormulaError::UnexpectedCharacter {
                position: 2,
                text: "="
            })
        );
        assert_eq!(
            eval("99999999999999999999"),
            Err(FormulaError::InvalidNumber {
                position: 0,
                text: "99999999999999999999"
            })
        );
        assert!(matches!(
            eval("1e999"),
            Err(FormulaError::InvalidNumber { .. })
        ));
        assert!(matches!(
            eval("true and"),
            Err(FormulaError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            eval("in + 1"),
            Err(FormulaError::UnexpectedToken { .. })
        ));
        assert_eq!(
            FormulaError::UnexpectedToken {
                position: 3,
                text: ")"
            }
            .to_string_for_test(),
            "unexpected token \")\" at position 3"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep =
            "((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))";
        assert!(matches!(eval(deep), Err(FormulaError::TooDeep { .. })));
        assert_eq!(value("((((((((((1))))))))))"), 1.0);
        let minus = "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - 1";
        assert!(matches!(eval(minus), Err(FormulaError::TooDeep { .. })));
    }

    #[test]
    fn check_rejects_unknown_names_even_in_untaken_branches() {
        let known = |name: &str| name == "a" || name == "b";
        assert_eq!(check_formula("a + b", known), Ok(()));
        assert_eq!(
            check_formula("true ? a : c", known),
            Err(FormulaError::UnknownName {
                position: 11,
                name: "c"
            })
        );
        // KEDA's dummy run: every trigger is -1.
        assert_eq!(
            check_formula("a % 2", known),
            Err(FormulaError::InvalidOperation {
                position: 2,
                operator: "%",
                left: ValueKind::Float,
                right: ValueKind::Int
            })
        );
        assert!(parse_formula("c + d").is_ok());
    }

    #[test]
    fn integer_overflow_wraps_as_go() {
        assert_eq!(value("9223372036854775807 + 1 < 0 ? 1 : 0"), 1.0);
        assert_eq!(
            value("-9223372036854775807 - 1 == -9223372036854775807 - 1 ? 1 : 0"),
            1.0
        );
    }

    impl FormulaError<'_> {
        fn to_string_for_test(self) -> heapless::String<128> {
            let mut s = heapless::String::new();
            let _ = fmt::write(&mut s, format_args!("{self}"));
            s
        }
    }
}
