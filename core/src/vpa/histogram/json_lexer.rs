//! A small, allocation-free JSON tokenizer over `&[u8]`: just enough to read one
//! `VerticalPodAutoscalerCheckpoint` (objects, arrays, strings with their escapes, numbers,
//! `true`, `false`, `null`), and to skip, while still checking, everything else in it.
//!
//! It is a pull lexer: the reader asks for the value it expects next. Nothing recurses on the
//! input: containers the reader does not want are skipped with a fixed-size bit stack, so the
//! nesting depth is limited to [`MAX_DEPTH`] and stack use is constant.

/// The deepest nesting [`Lexer::skip_value`] follows (Go's decoder allows 10000).
pub(crate) const MAX_DEPTH: usize = 512;

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum JsonType {
    /// `{…}`
    Object,
    /// `[…]`
    Array,
    /// `"…"`
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`
    Null,
}

impl JsonType {
    /// The kind's name in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::Array => "an array",
            Self::String => "a string",
            Self::Number => "a number",
            Self::Bool => "a boolean",
            Self::Null => "null",
        }
    }
}

/// Why the input is not well-formed JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyntaxError {
    /// The input ended inside a value.
    UnexpectedEnd,
    /// A byte that cannot appear here.
    UnexpectedByte(u8),
    /// A backslash escape JSON does not define, or a bad `\u` sequence.
    InvalidEscape,
    /// A raw control character (below 0x20) inside a string.
    ControlCharacter,
    /// Deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A syntax error and where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexError {
    /// Byte offset in the input.
    pub(crate) offset: usize,
    /// What was wrong.
    pub(crate) error: SyntaxError,
}

/// A string token: the bytes between the quotes, escapes not yet decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonStr<'a> {
    raw: &'a [u8],
    /// Byte offset of the opening quote.
    start: usize,
}

impl<'a> JsonStr<'a> {
    /// The byte offset of the string's opening quote.
    pub(crate) const fn offset(&self) -> usize {
        self.start
    }

    /// Decodes the string's escapes into `buf`, as UTF-8, and returns the decoded bytes, or
    /// `None` when they do not fit. Unpaired surrogates become U+FFFD, as in Go.
    pub(crate) fn decode<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let mut out = 0usize;
        let mut put = |buf: &mut [u8], bytes: &[u8]| -> Option<()> {
            let end = out.checked_add(bytes.len())?;
            buf.get_mut(out..end)?.copy_from_slice(bytes);
            out = end;
            Some(())
        };
        let mut i = 0usize;
        while let Some(&b) = self.raw.get(i) {
            i = i.saturating_add(1);
            if b != b'\\' {
                put(buf, &[b])?;
                continue;
            }
            let escape = self.raw.get(i).copied().unwrap_or(b'?');
            i = i.saturating_add(1);
            let simple = match escape {
                b'"' => Some(b'"'),
                b'\\' => Some(b'\\'),
                b'/' => Some(b'/'),
                b'b' => Some(0x08),
                b'f' => Some(0x0c),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                _ => None,
            };
            if let Some(c) = simple {
                put(buf, &[c])?;
                continue;
            }
            // \uXXXX, validated by the lexer; a high surrogate may pair with a following one.
            let mut code = hex4(self.raw.get(i..)?)?;
            i = i.saturating_add(4);
            if (0xd800..0xdc00).contains(&code) {
                let low = self
                    .raw
                    .get(i..)
                    .and_then(|rest| rest.strip_prefix(b"\\u"))
                    .and_then(hex4)
                    .filter(|low| (0xdc00..0xe000).contains(low));
                code = match low {
                    Some(low) => {
                        i = i.saturating_add(6);
                        // Both ranges were checked: no overflow.
                        0x10000u32
                            .saturating_add(code.saturating_sub(0xd800) << 10)
                            .saturating_add(low.saturating_sub(0xdc00))
                    }
                    None => 0xfffd,
                };
            } else if (0xdc00..0xe000).contains(&code) {
                code = 0xfffd;
            }
            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut utf8 = [0u8; 4];
            put(buf, c.encode_utf8(&mut utf8).as_bytes())?;
        }
        buf.get(..out)
    }
}

/// The value of four hex digits at the start of `bytes`.
fn hex4(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    digits.iter().try_fold(0u32, |acc, &b| {
        let digit = char::from(b).to_digit(16)?;
        acc.checked_mul(16)?.checked_add(digit)
    })
}

/// The tokenizer: a position in the input.
#[derive(Debug, Clone)]
pub(crate) struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The current byte offset.
    pub(crate) const fn offset(&self) -> usize {
        self.pos
    }

    fn error(&self, error: SyntaxError) -> LexError {
        LexError {
            offset: self.pos,
            error,
        }
    }

    fn advance(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.advance();
        }
    }

    /// The next non-whitespace byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` or fails.
    fn expect(&mut self, byte: u8) -> Result<(), LexError> {
        match self.peek() {
            Some(b) if b == byte => {
                self.advance();
                Ok(())
            }
            Some(b) => Err(self.error(SyntaxError::UnexpectedByte(b))),
            None => Err(self.error(SyntaxError::UnexpectedEnd)),
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// The type of the next value, from its first byte.
    pub(crate) fn peek_type(&mut self) -> Result<JsonType, LexError> {
        match self.peek() {
            Some(b'{') => Ok(JsonType::Object),
            Some(b'[') => Ok(JsonType::Array),
            Some(b'"') => Ok(JsonType::String),
            Some(b'-' | b'0'..=b'9') => Ok(JsonType::Number),
            Some(b't' | b'f') => Ok(JsonType::Bool),
            Some(b'n') => Ok(JsonType::Null),
            Some(b) => Err(self.error(SyntaxError::UnexpectedByte(b))),
            None => Err(self.error(SyntaxError::UnexpectedEnd)),
        }
    }

    /// Consumes the `{` of an object.
    pub(crate) fn begin_object(&mut self) -> Result<(), LexError> {
        self.expect(b'{')
    }

    /// The key of the object's next member (its `:` consumed), or `None` after its `}`.
    /// `first` tracks whether a `,` is due; start with `true`.
    pub(crate) fn next_key(&mut self, first: &mut bool) -> Result<Option<JsonStr<'a>>, LexError> {
        if self.peek() == Some(b'}') {
            self.advance();
            return Ok(None);
        }
        if !*first {
            self.expect(b',')?;
        }
        *first = false;
        let key = self.string()?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// A string token.
    pub(crate) fn string(&mut self) -> Result<JsonStr<'a>, LexError> {
        self.expect(b'"')?;
        let quote = self.pos.saturating_sub(1);
        let start = self.pos;
        loop {
            match self.bytes.get(self.pos).copied() {
                None => return Err(self.error(SyntaxError::UnexpectedEnd)),
                Some(b'"') => break,
                Some(b'\\') => {
                    self.advance();
                    match self.bytes.get(self.pos).copied() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.advance();
                        }
                        Some(b'u') => {
                            self.advance();
                            let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
                            if hex4(rest).is_none() {
                                return Err(self.error(SyntaxError::InvalidEscape));
                            }
                            self.pos = self.pos.saturating_add(4);
                        }
                        None => return Err(self.error(SyntaxError::UnexpectedEnd)),
                        Some(_) => return Err(self.error(SyntaxError::InvalidEscape)),
                    }
                }
                Some(0x00..=0x1f) => return Err(self.error(SyntaxError::ControlCharacter)),
                Some(_) => self.advance(),
            }
        }
        let raw = self.bytes.get(start..self.pos).unwrap_or(&[]);
        self.advance();
        Ok(JsonStr { raw, start: quote })
    }

    /// A number token, as text: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    pub(crate) fn number(&mut self) -> Result<&'a str, LexError> {
        self.skip_ws();
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.advance();
        }
        match self.bytes.get(self.pos).copied() {
            Some(b'0') => self.advance(),
            Some(b'1'..=b'9') => self.digits(),
            Some(b) => return Err(self.error(SyntaxError::UnexpectedByte(b))),
            None => return Err(self.error(SyntaxError::UnexpectedEnd)),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.advance();
            self.require_digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.advance();
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.advance();
            }
            self.require_digits()?;
        }
        let text = self.bytes.get(start..self.pos).unwrap_or(&[]);
        // Only ASCII digits, signs, '.', 'e' and 'E' were accepted.
        Ok(core::str::from_utf8(text).unwrap_or(""))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.advance();
        }
    }

    fn require_digits(&mut self) -> Result<(), LexError> {
        match self.bytes.get(self.pos).copied() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(b) => Err(self.error(SyntaxError::UnexpectedByte(b))),
            None => Err(self.error(SyntaxError::UnexpectedEnd)),
        }
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self) -> Result<(), LexError> {
        self.skip_ws();
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        for word in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(word) {
                self.pos = self.pos.saturating_add(word.len());
                return Ok(());
            }
        }
        // Point at the first byte that differs from every literal.
        let matched = [&b"true"[..], b"false", b"null"]
            .iter()
            .map(|w| w.iter().zip(rest).take_while(|(a, b)| a == b).count())
            .max()
            .unwrap_or(0);
        self.pos = self.pos.saturating_add(matched);
        Err(match self.bytes.get(self.pos) {
            Some(&b) => self.error(SyntaxError::UnexpectedByte(b)),
            None => self.error(SyntaxError::UnexpectedEnd),
        })
    }

    /// Consumes `null`.
    pub(crate) fn null(&mut self) -> Result<(), LexError> {
        self.literal()
    }

    /// Consumes one value of any type, checking its syntax, without recursion.
    pub(crate) fn skip_value(&mut self) -> Result<(), LexError> {
        // One bit per open container: 1 for an object, 0 for an array.
        let mut stack = [0u64; MAX_DEPTH / 64];
        let mut depth = 0usize;
        loop {
            // A value is due.
            match self.peek_type()? {
                JsonType::Object | JsonType::Array => {
                    let object = self.peek() == Some(b'{');
                    self.advance();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.advance();
                    } else {
                        if depth >= MAX_DEPTH {
                            return Err(self.error(SyntaxError::TooDeep));
                        }
                        if let Some(word) = stack.get_mut(depth / 64) {
                            let bit = 1u64 << (depth % 64);
                            *word = if object { *word | bit } else { *word & !bit };
                        }
                        depth = depth.saturating_add(1);
                        if object {
                            self.string()?;
                            self.expect(b':')?;
                        }
                        continue;
                    }
                }
                JsonType::String => {
                    self.string()?;
                }
                JsonType::Number => {
                    self.number()?;
                }
                JsonType::Bool | JsonType::Null => self.literal()?,
            }
            // A value is complete: close containers until another value is due.
            loop {
                let Some(top) = depth.checked_sub(1) else {
                    return Ok(());
                };
                let object = stack
                    .get(top / 64)
                    .is_some_and(|word| word & (1u64 << (top % 64)) != 0);
                match (object, self.peek()) {
                    (true, Some(b',')) => {
                        self.advance();
                        self.string()?;
                        self.expect(b':')?;
                        break;
                    }
                    (false, Some(b',')) => {
                        self.advance();
                        break;
                    }
                    (true, Some(b'}')) | (false, Some(b']')) => {
                        self.advance();
                        depth = top;
                    }
                    (_, Some(b)) => return Err(self.error(SyntaxError::UnexpectedByte(b))),
                    (_, None) => return Err(self.error(SyntaxError::UnexpectedEnd)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    extern crate std;
    use std::format;

    use super::*;

    fn skip(text: &str) -> Result<usize, LexError> {
        let mut lexer = Lexer::new(text.as_bytes());
        lexer.skip_value()?;
        Ok(lexer.offset())
    }

    #[test]
    fn skips_well_formed_values() {
        for text in [
            "0",
            "-0.5e+10",
            "\"a\\u00e9\\n\"",
            "true",
            "null",
            "[]",
            "{}",
            "[1, [2, {\"a\": [true, false, null]}], {}]",
            "{\"a\": {\"b\": {\"c\": []}}, \"d\": \"}\"}",
        ] {
            assert_eq!(skip(text), Ok(text.len()), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_values() {
        for text in [
            "",
            "[",
            "{\"a\" 1}",
            "[1,]",
            "{\"a\":1,}",
            "01x",
            "-",
            "1.",
            "1e",
            "tru",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "[1}",
            "{]",
            "\"abc",
            "nul",
        ] {
            // "01x" stops after "0": the leftovers are the reader's business.
            let result = skip(text);
            assert!(result.is_err() || text == "01x", "{text}: {result:?}");
        }
    }

    #[test]
    fn depth_is_limited() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(skip(&deep).map_err(|e| e.error), Err(SyntaxError::TooDeep));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(skip(&ok), Ok(ok.len()));
    }

    #[test]
    fn decodes_escapes() {
        let mut lexer = Lexer::new(br#""c\u0070u\/\ud83d\ude00\udc00""#);
        let s = lexer.string().unwrap();
        let mut buf = [0u8; 32];
        let decoded = s.decode(&mut buf).unwrap();
        assert_eq!(decoded, "cpu/\u{1f600}\u{fffd}".as_bytes());
        let mut small = [0u8; 2];
        assert_eq!(s.decode(&mut small), None);
    }
}
