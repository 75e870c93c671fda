//! Label selectors in their string form, as `k8s.io/apimachinery/pkg/labels.Parse` reads them:
//! the scale subresource's `status.selector` (`app=php-apache,tier!=db`) and the
//! `labelSelector` and `metricLabelSelector` query parameters of the metrics APIs.
//!
//! [`LabelSelector::parse`] accepts what upstream accepts and prints it back
//! ([`Display`](std::fmt::Display)) in upstream's canonical form: requirements sorted by key,
//! set values sorted and deduplicated, blanks dropped. That canonical string is what the
//! HorizontalPodAutoscaler sends to the metrics APIs, so the same selector reaches them
//! byte for byte. [`LabelSelector::from_label_selector`] turns a `metav1.LabelSelector`
//! (`matchLabels` and `matchExpressions`) into the same form, as
//! `metav1.LabelSelectorAsSelector` does.
//!
//! Keys and values are validated as upstream validates them (`IsQualifiedName`,
//! `IsDNS1123Subdomain`, `IsValidLabelValue`): every rule is checked, but only the first
//! broken one is reported, where upstream lists them all. A NUL byte is refused; upstream's
//! lexer reads it as the end of the text.
//!
//! ```
//! use std::collections::BTreeMap;
//! use podscale_controller::label_selector::LabelSelector;
//!
//! let selector = LabelSelector::parse("tier!=db, app=php-apache,env in (b,a),!canary")?;
//! assert_eq!(selector.to_string(), "app=php-apache,!canary,env in (a,b),tier!=db");
//! let labels: BTreeMap<String, String> =
//!     [("app", "php-apache"), ("env", "a")].map(|(k, v)| (k.into(), v.into())).into();
//! assert!(selector.matches(&labels));
//! # Ok::<(), podscale_controller::label_selector::SelectorError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;

/// Longest label value, and longest name part of a key.
const MAX_NAME_LEN: usize = 63;
/// Longest DNS subdomain, the optional prefix of a key.
const MAX_PREFIX_LEN: usize = 253;

/// How a [`Requirement`] relates a label to its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key in (a,b)`: the label is present with one of the values.
    In,
    /// `key notin (a,b)`: the label is absent, or present with none of the values.
    NotIn,
    /// `key=a`: the label is present with the value.
    Equals,
    /// `key==a`: as [`Operator::Equals`]; kept apart because it prints back as written.
    DoubleEquals,
    /// `key!=a`: the label is absent, or present with another value.
    NotEquals,
    /// `key`: the label is present.
    Exists,
    /// `!key`: the label is absent.
    DoesNotExist,
    /// `key>3`: the label is present, an integer, and greater than the value.
    GreaterThan,
    /// `key<3`: the label is present, an integer, and less than the value.
    LessThan,
}

/// One condition of a selector: a key, an operator and its values (none for
/// [`Operator::Exists`] and [`Operator::DoesNotExist`], one for the comparisons, at least one
/// for [`Operator::In`] and [`Operator::NotIn`]), values kept sorted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Checks a requirement as upstream's `NewRequirement` does. `values` are sorted (the
    /// printed form sorts them too) but not deduplicated, as upstream keeps them.
    fn new(key: &str, operator: Operator, mut values: Vec<String>) -> Result<Self, String> {
        check_key(key)?;
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err("`in` and `notin` need at least one value".into());
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                return Err(format!(
                    "`{}` needs exactly one value",
                    operator_text(operator)
                ));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err("`Exists` and `DoesNotExist` take no values".into());
            }
            Operator::GreaterThan | Operator::LessThan => {
                let [value] = values.as_slice() else {
                    return Err("`>` and `<` need exactly one value".into());
                };
                if value.parse::<i64>().is_err() {
                    return Err(format!(
                        "`{value}` is not an integer, which `>` and `<` compare against"
                    ));
                }
            }
            _ => {}
        }
        for value in &values {
            check_value(value)?;
        }
        values.sort();
        Ok(Self {
            key: key.to_owned(),
            operator,
            values,
        })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether `labels` satisfy this requirement [Requirement.Matches].
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let label = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                label.is_some_and(|v| self.values.contains(v))
            }
            Operator::NotIn | Operator::NotEquals => label.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => label.is_some(),
            Operator::DoesNotExist => label.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                // A label that is not an integer never matches, as upstream.
                let (Some(Ok(have)), [bound]) =
                    (label.map(|v| v.parse::<i64>()), self.values.as_slice())
                else {
                    return false;
                };
                let Ok(bound) = bound.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > bound
                } else {
                    have < bound
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    /// Upstream's `Requirement.String`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let values = self.values.join(",");
        match self.operator {
            Operator::Exists | Operator::DoesNotExist => Ok(()),
            Operator::In => write!(f, " in ({values})"),
            Operator::NotIn => write!(f, " notin ({values})"),
            op => write!(f, "{}{values}", operator_text(op)),
        }
    }
}

/// The operator as written between key and value.
fn operator_text(operator: Operator) -> &'static str {
    match operator {
        Operator::In => "in",
        Operator::NotIn => "notin",
        Operator::Equals => "=",
        Operator::DoubleEquals => "==",
        Operator::NotEquals => "!=",
        Operator::Exists => "exists",
        Operator::DoesNotExist => "!",
        Operator::GreaterThan => ">",
        Operator::LessThan => "<",
    }
}

/// A label selector: requirements that must all hold, sorted by key. The empty selector
/// selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// The selector that selects everything (the empty string).
    pub fn everything() -> Self {
        Self::default()
    }

    /// Parses a selector as upstream's `labels.Parse` does.
    ///
    /// # Errors
    ///
    /// [`SelectorError::Syntax`] naming the byte offset and the text where the selector stops
    /// making sense: a bad token, a missing `,` or `)`, an invalid key or value.
    ///
    /// ```
    /// use podscale_controller::label_selector::LabelSelector;
    /// assert_eq!(LabelSelector::parse("x= ,z= ")?.to_string(), "x=,z=");
    /// assert_eq!(LabelSelector::parse("x in (b,,a)")?.to_string(), "x in (,a,b)");
    /// let error = LabelSelector::parse("x=a||y=b").unwrap_err();
    /// assert!(error.to_string().contains("at byte 2 (`a||y`)"), "{error}");
    /// # Ok::<(), podscale_controller::label_selector::SelectorError>(())
    /// ```
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let tokens = lex(selector)?;
        let mut parser = Parser {
            selector,
            tokens: &tokens,
            next: 0,
        };
        let mut requirements = parser.selector()?;
        // [parse] sorts by key for a deterministic result; a stable sort keeps equal keys in
        // the order written, as Go's sort does for the few requirements a selector has.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self { requirements })
    }

    /// The selector a `metav1.LabelSelector` stands for [metav1.LabelSelectorAsSelector]:
    /// `matchLabels` as `key=value`, `matchExpressions` with their operators, sorted by key.
    /// Empty `matchLabels` and `matchExpressions` select everything. (Upstream reads an
    /// absent selector as selecting nothing; the HPA sends both as no selector at all.)
    ///
    /// # Errors
    ///
    /// [`SelectorError::Field`] naming the field (`matchExpressions[1].operator`) for an
    /// unknown operator, a key or value that is not valid, or values that do not fit the
    /// operator.
    ///
    /// ```
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
    /// use podscale_controller::label_selector::LabelSelector;
    /// let spec = meta::LabelSelector {
    ///     match_labels: Some([("queue".to_string(), "orders".to_string())].into()),
    ///     match_expressions: Some(vec![meta::LabelSelectorRequirement {
    ///         key: "env".into(),
    ///         operator: "NotIn".into(),
    ///         values: Some(vec!["test".into(), "dev".into()]),
    ///     }]),
    /// };
    /// let selector = LabelSelector::from_label_selector(&spec)?;
    /// assert_eq!(selector.to_string(), "env notin (dev,test),queue=orders");
    /// # Ok::<(), podscale_controller::label_selector::SelectorError>(())
    /// ```
    pub fn from_label_selector(selector: &meta::LabelSelector) -> Result<Self, SelectorError> {
        let field_error = |field: String, message: String| SelectorError::Field { field, message };
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            let requirement = Requirement::new(key, Operator::Equals, vec![value.clone()])
                .map_err(|m| field_error(format!("matchLabels.{key}"), m))?;
            requirements.push(requirement);
        }
        for (index, expression) in selector.match_expressions.iter().flatten().enumerate() {
            let operator = match expression.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(field_error(
                        format!("matchExpressions[{index}].operator"),
                        format!(
                            "`{other}` is not a label selector operator (In, NotIn, Exists, \
                             DoesNotExist)"
                        ),
                    ));
                }
            };
            let values = expression.values.clone().unwrap_or_default();
            let requirement = Requirement::new(&expression.key, operator, values)
                .map_err(|m| field_error(format!("matchExpressions[{index}]"), m))?;
            requirements.push(requirement);
        }
        // [internalSelector.Add] sorts by key; matchLabels come first, as upstream adds them.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self { requirements })
    }

    /// Whether `labels` satisfy every requirement [internalSelector.Matches].
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

impl fmt::Display for LabelSelector {
    /// The canonical form [internalSelector.String]: requirements joined by `,`, no blanks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, requirement) in self.requirements.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{requirement}")?;
        }
        Ok(())
    }
}

impl FromStr for LabelSelector {
    type Err = SelectorError;

    fn from_str(selector: &str) -> Result<Self, SelectorError> {
        Self::parse(selector)
    }
}

/// Why a selector was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorError {
    /// A selector string that does not parse.
    Syntax {
        /// The whole selector.
        selector: String,
        /// Byte offset of `found` in `selector`.
        position: usize,
        /// The token where parsing stopped; empty at the end of the text.
        found: String,
        /// What was expected, or what is wrong with the key or value.
        message: String,
    },
    /// A `metav1.LabelSelector` field that is not a valid requirement.
    Field {
        /// The field, as `matchExpressions[1].operator` or `matchLabels.app`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax {
                selector,
                position,
                found,
                message,
            } => {
                write!(f, "label selector `{selector}`, ")?;
                if found.is_empty() {
                    write!(f, "at the end (byte {position}): {message}")
                } else {
                    write!(f, "at byte {position} (`{found}`): {message}")
                }
            }
            Self::Field { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for SelectorError {}

/// The tokens of upstream's lexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    End,
    OpenPar,
    ClosedPar,
    Comma,
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    Greater,
    Less,
    In,
    NotIn,
    Identifier,
}

#[derive(Debug, Clone, Copy)]
struct Token<'s> {
    kind: Kind,
    text: &'s str,
    at: usize,
}

impl Token<'_> {
    /// The token as read where a key or a value may stand: `in` and `notin` are plain words
    /// there (`in=notin` is a valid selector) [Parser.lookahead with Values].
    fn word_kind(&self) -> Kind {
        match self.kind {
            Kind::In | Kind::NotIn => Kind::Identifier,
            kind => kind,
        }
    }
}

/// Upstream's separators [isWhitespace].
fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes that end a word and start an operator [isSpecialSymbol].
fn is_symbol(byte: u8) -> bool {
    matches!(byte, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits the selector into tokens, ending with [`Kind::End`] [Lexer.Lex]. Symbols take the
/// longest match (`!=` over `!`); a word is any run of other non-blank bytes.
fn lex(selector: &str) -> Result<Vec<Token<'_>>, SelectorError> {
    let bytes = selector.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if is_blank(byte) {
            at += 1;
            continue;
        }
        if byte == 0 {
            return Err(syntax(
                selector,
                at,
                "\0",
                "a NUL byte is not allowed".into(),
            ));
        }
        let (kind, len) = if is_symbol(byte) {
            match (byte, bytes.get(at + 1)) {
                (b'!', Some(b'=')) => (Kind::NotEquals, 2),
                (b'=', Some(b'=')) => (Kind::DoubleEquals, 2),
                (b'!', _) => (Kind::Not, 1),
                (b'=', _) => (Kind::Equals, 1),
                (b'(', _) => (Kind::OpenPar, 1),
                (b')', _) => (Kind::ClosedPar, 1),
                (b',', _) => (Kind::Comma, 1),
                (b'>', _) => (Kind::Greater, 1),
                _ => (Kind::Less, 1),
            }
        } else {
            let len = bytes
                .get(at..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| !is_blank(b) && !is_symbol(b) && b != 0)
                .count();
            // Words end only at ASCII bytes, so `at + len` is a char boundary.
            let kind = match selector.get(at..at + len) {
                Some("in") => Kind::In,
                Some("notin") => Kind::NotIn,
                _ => Kind::Identifier,
            };
            (kind, len)
        };
        tokens.push(Token {
            kind,
            text: selector.get(at..at + len).unwrap_or_default(),
            at,
        });
        at += len;
    }
    tokens.push(Token {
        kind: Kind::End,
        text: "",
        at: selector.len(),
    });
    Ok(tokens)
}

fn syntax(selector: &str, position: usize, found: &str, message: String) -> SelectorError {
    SelectorError::Syntax {
        selector: selector.to_owned(),
        position,
        found: found.to_owned(),
        message,
    }
}

/// Upstream's recursive descent [Parser], over the tokens of one selector.
struct Parser<'s, 't> {
    selector: &'s str,
    tokens: &'t [Token<'s>],
    next: usize,
}

impl<'s> Parser<'s, '_> {
    fn peek(&self) -> Token<'s> {
        // `lex` always ends with an End token, which is never consumed past.
        self.tokens.get(self.next).copied().unwrap_or(Token {
            kind: Kind::End,
            text: "",
            at: self.selector.len(),
        })
    }

    fn take(&mut self) -> Token<'s> {
        let token = self.peek();
        if token.kind != Kind::End {
            self.next += 1;
        }
        token
    }

    fn error(&self, token: Token<'_>, message: impl Into<String>) -> SelectorError {
        syntax(self.selector, token.at, token.text, message.into())
    }

    /// `requirement ("," requirement)*`, or nothing [Parser.parse].
    fn selector(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        let first = self.peek();
        match first.word_kind() {
            Kind::End => return Ok(requirements),
            Kind::Identifier | Kind::Not => {}
            _ => return Err(self.error(first, "expected `!`, a key, or the end")),
        }
        loop {
            requirements.push(self.requirement()?);
            let after = self.take();
            match after.kind {
                Kind::End => return Ok(requirements),
                Kind::Comma => {
                    let next = self.peek();
                    if !matches!(next.word_kind(), Kind::Identifier | Kind::Not) {
                        return Err(self.error(next, "expected a key or `!` after `,`"));
                    }
                }
                _ => return Err(self.error(after, "expected `,` or the end")),
            }
        }
    }

    /// `[!] key [operator values]` [Parser.parseRequirement].
    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        // [parseKeyAndInferOperator]: `!key` and a bare `key` are complete requirements.
        let mut key = self.take();
        let negated = key.kind == Kind::Not;
        if negated {
            key = self.take();
        }
        if key.word_kind() != Kind::Identifier {
            return Err(self.error(key, "expected a key"));
        }
        check_key(key.text).map_err(|m| self.error(key, m))?;
        let bare = matches!(self.peek().kind, Kind::End | Kind::Comma);
        if negated || bare {
            let operator = if negated {
                Operator::DoesNotExist
            } else {
                Operator::Exists
            };
            return Requirement::new(key.text, operator, Vec::new())
                .map_err(|m| self.error(key, m));
        }
        // [parseOperator]: only here are `in` and `notin` operators.
        let operator_token = self.take();
        let operator = match operator_token.kind {
            Kind::In => Operator::In,
            Kind::NotIn => Operator::NotIn,
            Kind::Equals => Operator::Equals,
            Kind::DoubleEquals => Operator::DoubleEquals,
            Kind::NotEquals => Operator::NotEquals,
            Kind::Greater => Operator::GreaterThan,
            Kind::Less => Operator::LessThan,
            _ => {
                return Err(self.error(
                    operator_token,
                    "expected an operator: in, notin, =, ==, !=, >, <",
                ));
            }
        };
        let values = if matches!(operator, Operator::In | Operator::NotIn) {
            self.value_set()?
        } else {
            self.exact_value()?
        };
        // Each value is checked where it stands, so the error points at it.
        for (value, at) in &values {
            check_value(value).map_err(|m| syntax(self.selector, *at, value, m))?;
        }
        // What is left to check (a comparison's integer) concerns the first value.
        let (found, at) = values.first().map_or(
            (operator_token.text.to_owned(), operator_token.at),
            |(v, at)| (v.clone(), *at),
        );
        let values = values.into_iter().map(|(value, _)| value).collect();
        Requirement::new(key.text, operator, values)
            .map_err(|m| syntax(self.selector, at, &found, m))
    }

    /// `"(" values ")"`, a set: sorted, without duplicates; `()` holds the empty value
    /// [Parser.parseValues, Parser.parseIdentifiersList]. Each value comes with the byte
    /// offset it was read at.
    fn value_set(&mut self) -> Result<Vec<(String, usize)>, SelectorError> {
        let open = self.take();
        if open.kind != Kind::OpenPar {
            return Err(self.error(open, "expected `(`"));
        }
        let mut set: BTreeMap<String, usize> = BTreeMap::new();
        let first = self.peek();
        match first.word_kind() {
            Kind::ClosedPar => {
                self.take();
                set.insert(String::new(), first.at);
                return Ok(set.into_iter().collect());
            }
            Kind::Identifier | Kind::Comma => {}
            _ => return Err(self.error(first, "expected a value, `,` or `)`")),
        }
        loop {
            let token = self.take();
            match token.word_kind() {
                Kind::Identifier => {
                    set.entry(token.text.to_owned()).or_insert(token.at);
                    let next = self.peek();
                    match next.kind {
                        Kind::Comma => {}
                        Kind::ClosedPar => break,
                        _ => return Err(self.error(next, "expected `,` or `)`")),
                    }
                }
                // A comma with nothing before it, or before `,` or `)`, stands for the empty
                // value: `(,a)`, `(a,)`, `(a,,b)`.
                Kind::Comma => {
                    let next = self.peek().kind;
                    if set.is_empty() || matches!(next, Kind::Comma | Kind::ClosedPar) {
                        set.entry(String::new()).or_insert(token.at);
                    }
                    if next == Kind::ClosedPar {
                        break;
                    }
                }
                _ => return Err(self.error(token, "expected `,` or a value")),
            }
        }
        let close = self.take();
        if close.kind != Kind::ClosedPar {
            return Err(self.error(close, "expected `)`"));
        }
        Ok(set.into_iter().collect())
    }

    /// The one value after `=`, `==`, `!=`, `>` or `<`; empty when none follows
    /// [Parser.parseExactValue].
    fn exact_value(&mut self) -> Result<Vec<(String, usize)>, SelectorError> {
        let token = self.peek();
        match token.word_kind() {
            Kind::End | Kind::Comma => Ok(vec![(String::new(), token.at)]),
            Kind::Identifier => {
                self.take();
                Ok(vec![(token.text.to_owned(), token.at)])
            }
            _ => Err(self.error(token, "expected a value")),
        }
    }
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name [IsQualifiedName].
fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        None => (None, key),
        Some((_, name)) if name.contains('/') => {
            return Err(format!("key `{key}` has more than one `/`"));
        }
        Some((prefix, name)) => (Some(prefix), name),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err(format!("key `{key}`: the prefix before `/` is empty"));
        }
        check_dns_subdomain(prefix).map_err(|m| format!("key `{key}`: prefix {m}"))?;
    }
    if name.is_empty() {
        return Err(format!("key `{key}`: the name is empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "key `{key}`: the name is longer than {MAX_NAME_LEN} characters"
        ));
    }
    if !is_name(name) {
        return Err(format!(
            "key `{key}`: the name must be letters, digits, `-`, `_` or `.`, and start and end \
             with a letter or digit"
        ));
    }
    Ok(())
}

/// A label value: empty, or a name of at most 63 characters [IsValidLabelValue].
fn check_value(value: &str) -> Result<(), String> {
    if value.len() > MAX_NAME_LEN {
        return Err(format!(
            "value `{value}` is longer than {MAX_NAME_LEN} characters"
        ));
    }
    if !value.is_empty() && !is_name(value) {
        return Err(format!(
            "value `{value}` must be empty, or letters, digits, `-`, `_` or `.` starting and \
             ending with a letter or digit"
        ));
    }
    Ok(())
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, upstream's qualified name pattern.
fn is_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A lowercase RFC 1123 subdomain of at most 253 characters [IsDNS1123Subdomain].
fn check_dns_subdomain(text: &str) -> Result<(), String> {
    if text.len() > MAX_PREFIX_LEN {
        return Err(format!(
            "`{text}` is longer than {MAX_PREFIX_LEN} characters"
        ));
    }
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        bytes.first().is_some_and(alnum)
            && bytes.last().is_some_and(alnum)
            && bytes.iter().all(|b| alnum(b) || *b == b'-')
    };
    if text.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{text}` must be lowercase letters, digits, `-` and `.`, each dot-separated part \
             starting and ending with a letter or digit"
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn printed(selector: &str) -> String {
        LabelSelector::parse(selector)
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
            .to_string()
    }

    /// Upstream's TestSelectorParse: good strings print back without their blanks.
    #[test]
    fn upstream_parse_examples() {
        for good in [
            "x=a,y=b,z=c",
            "",
            "x!=a,y=b",
            "x=",
            "x= ",
            "x=,z= ",
            "x= ,z= ",
            "!x",
            "x>1",
            "x>1,z<5",
        ] {
            assert_eq!(printed(good), good.replace(' ', ""), "{good}");
        }
        for bad in ["x=a||y=b", "x==a==b", "!x=a", "x<a"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
        // TestDeterministicParse.
        assert_eq!(printed("x=a,a=x"), printed("a=x,x=a"));
    }

    /// Upstream's TestSetSelectorParser and TestLexer: set syntax, blanks, keywords as words.
    #[test]
    fn upstream_set_examples() {
        for (text, canonical) in [
            ("\rx", "x"),
            (
                "this-is-a-dns.domain.com/key-with-dash",
                "this-is-a-dns.domain.com/key-with-dash",
            ),
            (
                "this-is-another-dns.domain.com/key-with-dash in (so,what)",
                "this-is-another-dns.domain.com/key-with-dash in (so,what)",
            ),
            (
                "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
                "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
            ),
            ("foo  in\t (abc)", "foo in (abc)"),
            ("x notin\n (abc)", "x notin (abc)"),
            ("x  notin\t\t\t(abc,def)", "x notin (abc,def)"),
            ("x in (abc,def)", "x in (abc,def)"),
            ("x in (abc,)", "x in (,abc)"),
            ("x in ()", "x in ()"),
            (
                "x notin (abc,def),bar,z in (),w",
                "bar,w,x notin (abc,def),z in ()",
            ),
            ("x,y in (a)", "x,y in (a)"),
            ("x=a", "x=a"),
            ("x>1", "x>1"),
            ("x<7", "x<7"),
            ("x=a,y!=b", "x=a,y!=b"),
            ("x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"),
            ("x notin ( )", "x notin ()"),
            ("x notin (, a)", "x notin (,a)"),
            ("a ", "a"),
            ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
            ("notin=in", "notin=in"),
            ("in in (in)", "in in (in)"),
            ("x==a", "x==a"),
            ("x in (b,a,b)", "x in (a,b)"),
            ("x in (a,,b)", "x in (,a,b)"),
        ] {
            assert_eq!(printed(text), canonical, "{text:?}");
        }
        for bad in [
            "x=a||y=b",
            "x,y,",
            ",x,y",
            "x nott in (y)",
            "a in (xyz),",
            "a in (xyz)b notin ()",
            "a in (xyz abc)",
            "a notin(",
            "a (",
            "(",
            "x in (a,",
            "x=(",
            "!",
            "x>",
            "x in a",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Upstream's TestRequirementConstructor, through the parser, plus the key and value
    /// rules of IsQualifiedName and IsValidLabelValue.
    #[test]
    fn keys_and_values_are_validated() {
        for good in [
            "1foo in (bar)",
            "1234 in (bar)",
            "y>1",
            "z<6",
            "example.com/app=web",
            "a.b-c_d=E.f-G_9",
            &format!("{}=v", "k".repeat(63)),
            &format!("{}/k", "p".repeat(253)),
            &format!("k={}", "v".repeat(63)),
        ] {
            assert!(LabelSelector::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "foo>bar",
            "barz<blah",
            &"a".repeat(254),
            &"k".repeat(64),
            &format!("{}/k", "p".repeat(254)),
            &format!("k={}", "v".repeat(64)),
            "-x",
            "x-",
            "Example.com/x",
            "/x",
            "a/",
            "a/b/c",
            "x=-a",
            "x=a_",
            "x=a b",
            "x in (a,b$)",
            "ключ=v",
            "x\0=a",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors_name_position_and_text() {
        let check = |text: &str, position: usize, found: &str, message: &str| {
            let Err(SelectorError::Syntax {
                selector,
                position: at,
                found: token,
                message: why,
            }) = LabelSelector::parse(text)
            else {
                panic!("{text} parsed");
            };
            assert_eq!(
                (selector.as_str(), at, token.as_str()),
                (text, position, found),
                "{why}"
            );
            assert!(why.contains(message), "{text}: {why}");
        };
        check("x=a||y=b", 2, "a||y", "value `a||y` must be empty");
        check("x==a==b", 4, "==", "expected `,` or the end");
        check("!x=a", 2, "=", "expected `,` or the end");
        check("x<a", 2, "a", "`a` is not an integer");
        check("app=web, ,tier", 9, ",", "expected a key or `!` after `,`");
        check("env in (a b)", 10, "b", "expected `,` or `)`");
        check("env in (a", 9, "", "expected `,` or `)`");
        check("Bad/key=v", 0, "Bad/key", "prefix `Bad`");
        check("x nott in (y)", 2, "nott", "expected an operator");
        let error = LabelSelector::parse("env in (a").unwrap_err();
        assert_eq!(
            error.to_string(),
            "label selector `env in (a`, at the end (byte 9): expected `,` or `)`"
        );
        let error = LabelSelector::parse("x=a||y=b").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("label selector `x=a||y=b`, at byte 2 (`a||y`): value"),
            "{error}"
        );
    }

    /// Upstream's TestSelectorMatches and TestRequirementSelectorMatching.
    #[test]
    fn matching() {
        let yes = |selector: &str, set: &[(&str, &str)]| {
            assert!(printed_matches(selector, set), "{selector} {set:?}");
        };
        let no = |selector: &str, set: &[(&str, &str)]| {
            assert!(!printed_matches(selector, set), "{selector} {set:?}");
        };
        yes("", &[("x", "y")]);
        yes("x=y", &[("x", "y")]);
        yes("x=y,z=w", &[("x", "y"), ("z", "w")]);
        yes("x!=y,z!=w", &[("x", "z"), ("z", "a")]);
        yes("notin=in", &[("notin", "in")]);
        yes("x", &[("x", "z")]);
        yes("!x", &[("y", "z")]);
        yes("x>1", &[("x", "2")]);
        yes("x<1", &[("x", "0")]);
        no("x=z", &[]);
        no("x=y", &[("x", "z")]);
        no("x=y,z=w", &[("x", "w"), ("z", "w")]);
        no("x!=y,z!=w", &[("x", "z"), ("z", "w")]);
        no("x", &[("y", "z")]);
        no("!x", &[("x", "z")]);
        no("x>1", &[("x", "0")]);
        no("x<1", &[("x", "2")]);
        let set = [("foo", "bar"), ("baz", "blah")];
        yes("foo=bar", &set);
        yes("baz=blah", &set);
        yes("foo=bar,baz=blah", &set);
        no("foo=blah", &set);
        no("baz=bar", &set);
        no("foo=bar,foobar=bar,baz=blah", &set);
        let set = [("x", "foo"), ("y", "baz")];
        yes("x in (foo),y notin (alpha)", &set);
        no("x in (foo),y in (alpha)", &set);
        yes("x notin (),y", &[("y", "")]);
        yes("!x,y", &[("y", "")]);
        no("x notin (),!y", &[("y", "")]);
        no("x in ()", &[("y", "baz")]);
        yes("z>1", &[("z", "2")]);
        no("z>1", &[("z", "v2")]);
        yes("x==a", &[("x", "a")]);
        yes("x notin (a)", &[]);
        yes("x!=a", &[]);
    }

    fn printed_matches(selector: &str, set: &[(&str, &str)]) -> bool {
        LabelSelector::parse(selector)
            .unwrap()
            .matches(&labels(set))
    }

    fn requirement(
        key: &str,
        operator: &str,
        values: Option<&[&str]>,
    ) -> meta::LabelSelectorRequirement {
        meta::LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: values.map(|v| v.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    /// metav1.LabelSelectorAsSelector: matchLabels and matchExpressions, sorted by key.
    #[test]
    fn from_metav1_label_selector() {
        let spec = meta::LabelSelector {
            match_labels: Some(labels(&[("tier", "web"), ("app", "php-apache")])),
            match_expressions: Some(vec![
                requirement("env", "In", Some(&["prod", "canary", "prod"])),
                requirement("track", "Exists", None),
                requirement("legacy", "DoesNotExist", Some(&[])),
                requirement("zone", "NotIn", Some(&["b"])),
            ]),
        };
        let selector = LabelSelector::from_label_selector(&spec).unwrap();
        // Values are sorted but, as upstream, not deduplicated.
        assert_eq!(
            selector.to_string(),
            "app=php-apache,env in (canary,prod,prod),!legacy,tier=web,track,zone notin (b)"
        );
        assert!(selector.matches(&labels(&[
            ("app", "php-apache"),
            ("env", "prod"),
            ("tier", "web"),
            ("track", "stable"),
        ])));
        // The printed form parses to the same requirements, deduplicated.
        assert_eq!(
            printed(&selector.to_string()),
            "app=php-apache,env in (canary,prod),!legacy,tier=web,track,zone notin (b)"
        );

        let empty = meta::LabelSelector::default();
        assert!(
            LabelSelector::from_label_selector(&empty)
                .unwrap()
                .is_empty()
        );

        for (spec, field, message) in [
            (
                meta::LabelSelector {
                    match_expressions: Some(vec![
                        requirement("a", "In", Some(&["x"])),
                        requirement("b", "Gt", Some(&["1"])),
                    ]),
                    ..Default::default()
                },
                "matchExpressions[1].operator",
                "`Gt` is not a label selector operator",
            ),
            (
                meta::LabelSelector {
                    match_expressions: Some(vec![requirement("a", "In", None)]),
                    ..Default::default()
                },
                "matchExpressions[0]",
                "need at least one value",
            ),
            (
                meta::LabelSelector {
                    match_expressions: Some(vec![requirement("a", "Exists", Some(&["x"]))]),
                    ..Default::default()
                },
                "matchExpressions[0]",
                "take no values",
            ),
            (
                meta::LabelSelector {
                    match_labels: Some(labels(&[("app", "php apache")])),
                    ..Default::default()
                },
                "matchLabels.app",
                "value `php apache`",
            ),
        ] {
            let error = LabelSelector::from_label_selector(&spec).unwrap_err();
            let SelectorError::Field {
                field: at,
                message: why,
            } = &error
            else {
                panic!("{error:?}");
            };
            assert_eq!(at, field);
            assert!(why.contains(message), "{why}");
            assert!(error.to_string().starts_with(&format!("{field}: ")));
        }
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("in".to_owned()),
            Just("notin".to_owned()),
            "[a-z0-9]([a-zA-Z0-9._-]{0,8}[a-z0-9])?",
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        (
            proptest::option::of("[a-z0-9]{1,5}(\\.[a-z0-9]{1,5}){0,2}"),
            word(),
        )
            .prop_map(|(prefix, name)| match prefix {
                Some(prefix) => format!("{prefix}/{name}"),
                None => name,
            })
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), word(), "[0-9]{1,6}"]
    }

    fn requirement_text() -> impl Strategy<Value = String> {
        (
            key(),
            0..9_usize,
            proptest::collection::vec(value(), 1..4),
            "[0-9]{1,6}",
        )
            .prop_map(|(key, form, values, number)| {
                let first = values.first().cloned().unwrap_or_default();
                match form {
                    0 => key,
                    1 => format!("!{key}"),
                    2 => format!("{key}={first}"),
                    3 => format!("{key} == {first}"),
                    4 => format!("{key}!={first}"),
                    5 => format!("{key} in ({})", values.join(",")),
                    6 => format!("{key}  notin ( {} )", values.join(" , ")),
                    7 => format!("{key}>{number}"),
                    _ => format!("{key}<{number}"),
                }
            })
    }

    proptest! {
        /// The printed form parses back to the same selector, and prints the same.
        #[test]
        fn display_round_trips(parts in proptest::collection::vec(requirement_text(), 0..6)) {
            let text = parts.join(", ");
            let selector = LabelSelector::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let printed = selector.to_string();
            let again = LabelSelector::parse(&printed).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&again, &selector);
            prop_assert_eq!(again.to_string(), printed);
        }

        /// Any text either parses or is refused with a position inside it.
        #[test]
        fn never_panics(text in "[a-z=!(), <>in]{0,24}") {
            if let Err(SelectorError::Syntax { position, .. }) = LabelSelector::parse(&text) {
                prop_assert!(position <= text.len());
            }
        }
    }
}
