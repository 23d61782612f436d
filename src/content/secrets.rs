//! Secret scrubbing (always on): the built-in patterns, yours, and the scanner.
//!
//! The built-in scanner is hand-written (no regex): it replaces, with [`REDACTED`],
//! - tokens starting with a known secret prefix (`sk-`, `sk-ant-`, `AKIA`, `ASIA`, `ghp_`,
//!   `github_pat_`, `xoxb-`, `AIza`, `hf_`, ... and any prefix you add);
//! - the token after `Bearer ` (any case);
//! - the value after a secret-like key followed by `:` or `=` (`Authorization: Basic x`,
//!   `api_key=x`, `"password": "x"`), keys judged like span field names.
//!
//! In JSON values (message content), object members whose key looks like a secret get their
//! value replaced too, whatever its type.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::model::text::is_secret_name;

/// Replaces JSON nested deeper than the content depth limit.
pub(crate) const DEPTH_MARKER: &str = "[truncated: nested too deep]";

/// The marker that replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// A custom secret matcher: returns the byte ranges of `s` to replace.
pub type SecretMatcher = Arc<dyn Fn(&str) -> Vec<Range<usize>> + Send + Sync>;

/// A secret pattern the scanner replaces.
///
/// ```
/// use tracing_genai::content::SecretPattern;
///
/// let p = SecretPattern::prefix("acme_", 12);
/// let custom = SecretPattern::custom(|s: &str| {
///     s.find("INTERNAL-").map(|i| vec![i..(i + 17).min(s.len())]).unwrap_or_default()
/// });
/// # drop((p, custom));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum SecretPattern {
    /// A token starting with `prefix` (at a word boundary) followed by at least `min_len`
    /// characters of `[A-Za-z0-9_-]`.
    Prefix {
        /// The prefix, matched case-sensitively.
        prefix: Cow<'static, str>,
        /// Minimum number of token characters after the prefix.
        min_len: usize,
    },
    /// A custom matcher returning byte ranges to replace (ranges not on char boundaries or out
    /// of bounds are ignored).
    Custom(SecretMatcher),
}

impl fmt::Debug for SecretPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretPattern::Prefix { prefix, min_len } => f
                .debug_struct("Prefix")
                .field("prefix", prefix)
                .field("min_len", min_len)
                .finish(),
            SecretPattern::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl SecretPattern {
    /// A prefix pattern.
    pub fn prefix(prefix: impl Into<Cow<'static, str>>, min_len: usize) -> Self {
        SecretPattern::Prefix {
            prefix: prefix.into(),
            min_len,
        }
    }

    /// A custom matcher.
    pub fn custom(f: impl Fn(&str) -> Vec<Range<usize>> + Send + Sync + 'static) -> Self {
        SecretPattern::Custom(Arc::new(f))
    }
}

/// The built-in prefix patterns.
pub(crate) fn builtin_patterns() -> Vec<SecretPattern> {
    [
        ("sk-", 16),
        ("AKIA", 16),
        ("ASIA", 16),
        ("ghp_", 20),
        ("gho_", 20),
        ("ghs_", 20),
        ("github_pat_", 20),
        ("glpat-", 16),
        ("xoxb-", 10),
        ("xoxp-", 10),
        ("AIza", 30),
        ("hf_", 20),
        ("rk_live_", 16),
        ("sk_live_", 16),
    ]
    .into_iter()
    .map(|(p, n)| SecretPattern::prefix(p, n))
    .collect()
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_bearer_byte(b: u8) -> bool {
    is_token_byte(b) || matches!(b, b'.' | b'~' | b'+' | b'/' | b'=')
}

fn push_bearer_matches(s: &str, out: &mut Vec<Range<usize>>) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i + 7 <= bytes.len() {
        if bytes[i] | 0x20 == b'b'
            && bytes[i..i + 6].eq_ignore_ascii_case(b"bearer")
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        {
            let mut j = i + 6;
            let ws = j;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            let start = j;
            while j < bytes.len() && is_bearer_byte(bytes[j]) {
                j += 1;
            }
            if j > ws && start > ws && j - start >= 8 {
                out.push(start..j);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_value_end(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'\\' | b',' | b';' | b'&' | b'}' | b')')
}

/// `key: value` / `key=value` where `key` looks like a secret name.
fn push_key_value_matches(s: &str, out: &mut Vec<Range<usize>>) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_key_byte(bytes[i]) || (i > 0 && is_key_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let key_start = i;
        while i < bytes.len() && is_key_byte(bytes[i]) {
            i += 1;
        }
        let key = &s[key_start..i];
        let mut j = i;
        // closing quote of the key (`"`, `'`, `\"`)
        if j < bytes.len() && bytes[j] == b'\\' && j + 1 < bytes.len() && bytes[j + 1] == b'"' {
            j += 2;
        } else if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
            j += 1;
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j >= bytes.len() || !(bytes[j] == b':' || bytes[j] == b'=') || !is_secret_name(key) {
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j + 1 < bytes.len() && bytes[j] == b'\\' && bytes[j + 1] == b'"' {
            j += 2;
        } else if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
            j += 1;
        }
        // `Authorization: Basic xyz`: skip the scheme word.
        let word_end = {
            let mut k = j;
            while k < bytes.len() && bytes[k].is_ascii_alphabetic() {
                k += 1;
            }
            k
        };
        let word = &s[j..word_end];
        if ["basic", "bearer", "token", "digest", "apikey"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
            && word_end < bytes.len()
            && bytes[word_end] == b' '
        {
            j = word_end + 1;
        }
        let start = j;
        while j < bytes.len() && !is_value_end(bytes[j]) {
            j += 1;
        }
        if j > start && !s[start..].starts_with(REDACTED) {
            out.push(start..j);
        }
        i = j.max(i);
    }
}

/// Whether `s` has a `:` or `=`. These are the short strings of the fast path (model names,
/// ids, finish reasons): 8 to 16 bytes are judged as two overlapping 8-byte words, fewer byte
/// by byte, more in one pass without an early exit (which vectorises).
#[inline]
fn has_separator(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.len(), b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (..=16, Some(lo), Some(hi)) => {
            word_has_separator(u64::from_le_bytes(*lo))
                || word_has_separator(u64::from_le_bytes(*hi))
        }
        (..8, ..) => b.iter().any(|&c| c == b':' || c == b'='),
        _ => b
            .iter()
            .fold(false, |seen, &c| seen | (c == b':') | (c == b'=')),
    }
}

/// Whether a byte of `x` is `:` or `=` (a zero byte of `x ^ ':'` or `x ^ '='`: the classic
/// "has a zero byte" test, exact for the whole word).
#[inline]
fn word_has_separator(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    zero(x ^ (ONES * u64::from(b':'))) || zero(x ^ (ONES * u64::from(b'=')))
}

/// The always-on secret scanner.
#[derive(Clone, Debug)]
pub(crate) struct SecretScanner {
    patterns: Vec<SecretPattern>,
    /// Whether a byte starts some prefix pattern: one pass over the text finds all prefixes.
    first: [bool; 256],
    /// The first two bytes of every prefix pattern, a bit per byte pair: where none of them
    /// starts a word, no prefix can match (the prefilter skips the prefix pass).
    pairs: Box<[u64; 1024]>,
    /// Some prefix is a single byte: the pairs cannot judge it.
    short_prefix: bool,
    /// The shortest run of token bytes a prefix pattern can match (prefix plus `min_len`);
    /// `0` when some prefix has a non-token byte (the prefilter then never skips prefixes).
    min_prefix_run: usize,
    /// Whether a custom matcher is configured (the prefilter cannot judge those).
    has_custom: bool,
    /// The shortest string a prefix pattern or the bearer rule can match: shorter strings
    /// without `:`/`=` are clean without a closer look.
    min_match_len: usize,
}

/// `bearer`, one blank, 8 token characters.
const MIN_BEARER_LEN: usize = 15;

/// What one pass over a string found: which (expensive) matchers can possibly match.
struct Prefilter {
    longest_token_run: usize,
    has_bearer: bool,
    has_separator: bool,
}

/// Byte classes for the prefilter: one table lookup per byte.
const TOKEN: u8 = 1;
const SEPARATOR: u8 = 2;
const LETTER_B: u8 = 4;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            t[i] = TOKEN;
        }
        if b == b':' || b == b'=' {
            t[i] = SEPARATOR;
        }
        if b == b'b' || b == b'B' {
            t[i] = TOKEN | LETTER_B;
        }
        i += 1;
    }
    t
};

impl Prefilter {
    /// One byte scan: the longest token run, whether `:`/`=` occur, whether the word `bearer`
    /// (any case) does.
    #[inline]
    fn scan(s: &str) -> Prefilter {
        let bytes = s.as_bytes();
        let mut longest = 0;
        let mut run = 0;
        let mut seen = 0u8;
        for &b in bytes {
            let class = CLASSES[usize::from(b)];
            seen |= class;
            if class & TOKEN != 0 {
                run += 1;
            } else {
                longest = longest.max(run);
                run = 0;
            }
        }
        let has_bearer = seen & LETTER_B != 0
            && bytes
                .windows(6)
                .any(|w| w[0] | 0x20 == b'b' && w.eq_ignore_ascii_case(b"bearer"));
        Prefilter {
            longest_token_run: longest.max(run),
            has_bearer,
            has_separator: seen & SEPARATOR != 0,
        }
    }
}

impl Default for SecretScanner {
    fn default() -> Self {
        let mut scanner = SecretScanner {
            patterns: Vec::new(),
            first: [false; 256],
            pairs: Box::new([0; 1024]),
            short_prefix: false,
            min_prefix_run: usize::MAX,
            has_custom: false,
            min_match_len: MIN_BEARER_LEN,
        };
        for p in builtin_patterns() {
            scanner.add(p);
        }
        scanner
    }
}

impl SecretScanner {
    pub(crate) fn add(&mut self, p: SecretPattern) {
        match &p {
            SecretPattern::Prefix { prefix, min_len } => {
                match *prefix.as_bytes() {
                    [a, b, ..] => {
                        self.first[usize::from(a)] = true;
                        let pair = usize::from(a) << 8 | usize::from(b);
                        if let Some(word) = self.pairs.get_mut(pair >> 6) {
                            *word |= 1 << (pair & 63);
                        }
                    }
                    [a] => {
                        self.first[usize::from(a)] = true;
                        self.short_prefix = true;
                    }
                    [] => {}
                }
                let run = if prefix.bytes().all(is_token_byte) {
                    prefix.len().saturating_add(*min_len)
                } else {
                    0
                };
                self.min_prefix_run = self.min_prefix_run.min(run);
                self.min_match_len = self
                    .min_match_len
                    .min(prefix.len().saturating_add(*min_len).max(1));
            }
            SecretPattern::Custom(_) => self.has_custom = true,
        }
        self.patterns.push(p);
    }

    /// Whether some word of `s` starts with the first two bytes of a prefix pattern (where
    /// none does, no prefix can match: long clean ids and model names skip the prefix pass).
    /// A word starts where the previous byte is not alphanumeric, as the prefix pass has it.
    fn may_start_prefix(&self, s: &str) -> bool {
        if self.short_prefix {
            return true;
        }
        let bytes = s.as_bytes();
        let mut prev_alnum = false;
        for (i, &b) in bytes.iter().enumerate() {
            if !prev_alnum
                && self.first[usize::from(b)]
                && bytes.get(i + 1).is_some_and(|&n| self.starts_pair(b, n))
            {
                return true;
            }
            prev_alnum = b.is_ascii_alphanumeric();
        }
        false
    }

    /// Whether some prefix pattern starts with the bytes `a`, `b`.
    #[inline]
    fn starts_pair(&self, a: u8, b: u8) -> bool {
        let pair = usize::from(a) << 8 | usize::from(b);
        self.pairs
            .get(pair >> 6)
            .is_some_and(|word| word >> (pair & 63) & 1 != 0)
    }

    /// All prefix patterns, in one pass: at each word boundary whose byte starts a prefix, the
    /// longest matching token.
    fn push_prefix_matches(&self, s: &str, out: &mut Vec<Range<usize>>) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !self.first[usize::from(bytes[i])] || (i > 0 && bytes[i - 1].is_ascii_alphanumeric())
            {
                i += 1;
                continue;
            }
            let mut matched: Option<usize> = None;
            for p in &self.patterns {
                let SecretPattern::Prefix { prefix, min_len } = p else {
                    continue;
                };
                if prefix.as_bytes().first() != Some(&bytes[i])
                    || !bytes[i..].starts_with(prefix.as_bytes())
                {
                    continue;
                }
                let body = i + prefix.len();
                let mut end = body;
                while end < bytes.len() && is_token_byte(bytes[end]) {
                    end += 1;
                }
                if end - body >= *min_len {
                    matched = Some(matched.map_or(end, |m| m.max(end)));
                }
            }
            match matched {
                Some(end) => {
                    out.push(i..end);
                    i = end;
                }
                None => i += 1,
            }
        }
    }

    /// `s` with every secret replaced by [`REDACTED`]; borrowed when nothing matched.
    ///
    /// A clean string costs one byte scan ([`Prefilter`]): each matcher runs only when that
    /// scan shows it could match (a long enough token run for the prefixes, the word `bearer`,
    /// a `:` or `=` for `key: value`). Custom matchers always run.
    #[inline]
    pub(crate) fn scrub<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if s.len() < self.min_match_len && !self.has_custom && !has_separator(s) {
            return Cow::Borrowed(s);
        }
        let pre = Prefilter::scan(s);
        let prefixes = (pre.longest_token_run >= self.min_prefix_run.max(1)
            || (self.min_prefix_run == 0 && !s.is_empty()))
            && self.may_start_prefix(s);
        if !prefixes && !pre.has_bearer && !pre.has_separator && !self.has_custom {
            return Cow::Borrowed(s);
        }
        self.scrub_candidates(s, &pre, prefixes)
    }

    /// The matchers the prefilter could not rule out.
    #[inline(never)]
    fn scrub_candidates<'a>(&self, s: &'a str, pre: &Prefilter, prefixes: bool) -> Cow<'a, str> {
        let mut ranges = Vec::new();
        if prefixes {
            self.push_prefix_matches(s, &mut ranges);
        }
        for p in self.patterns.iter().filter(|_| self.has_custom) {
            match p {
                SecretPattern::Prefix { .. } => {}
                SecretPattern::Custom(f) => {
                    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(s)));
                    match found {
                        Ok(found) => ranges.extend(found.into_iter().filter(|r| {
                            r.start < r.end
                                && r.end <= s.len()
                                && s.is_char_boundary(r.start)
                                && s.is_char_boundary(r.end)
                        })),
                        // A panicking matcher fails closed: the whole string is a secret.
                        Err(_) => ranges.push(0..s.len()),
                    }
                }
            }
        }
        if pre.has_bearer {
            push_bearer_matches(s, &mut ranges);
        }
        if pre.has_separator {
            push_key_value_matches(s, &mut ranges);
        }
        if ranges.is_empty() {
            return Cow::Borrowed(s);
        }
        ranges.sort_by_key(|r| r.start);
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        for r in ranges {
            if r.end <= pos {
                continue;
            }
            let start = r.start.max(pos);
            out.push_str(&s[pos..start]);
            if !out.ends_with(REDACTED) {
                out.push_str(REDACTED);
            }
            pos = r.end;
        }
        out.push_str(&s[pos..]);
        Cow::Owned(out)
    }

    /// Scrubs a string in place; returns whether it changed.
    pub(crate) fn scrub_string(&self, s: &mut String) -> bool {
        match self.scrub(s) {
            Cow::Borrowed(_) => false,
            Cow::Owned(o) => {
                *s = o;
                true
            }
        }
    }

    /// Scrubs every string and secret-keyed member of a JSON value; cuts nesting deeper than
    /// `depth_left` (replaced by a marker string) so later passes never recurse unboundedly.
    pub(crate) fn scrub_value(&self, v: &mut Value, depth_left: usize) {
        match v {
            Value::String(s) => {
                self.scrub_string(s);
            }
            Value::Array(items) => {
                if depth_left == 0 {
                    *v = Value::String(DEPTH_MARKER.to_string());
                    return;
                }
                for item in items {
                    self.scrub_value(item, depth_left - 1);
                }
            }
            Value::Object(map) => {
                if depth_left == 0 {
                    *v = Value::String(DEPTH_MARKER.to_string());
                    return;
                }
                self.scrub_map(map, depth_left - 1);
            }
            _ => {}
        }
    }

    pub(crate) fn scrub_map(&self, map: &mut Map<String, Value>, depth_left: usize) {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let secret_key = is_secret_name(&key);
            let clean_key = self.scrub(&key).into_owned();
            let Some(mut value) = map.remove(&key) else {
                continue;
            };
            if secret_key && key != "type" {
                value = Value::String(REDACTED.to_string());
            } else {
                self.scrub_value(&mut value, depth_left);
            }
            map.insert(clean_key, value);
        }
    }
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
#[allow(clippy::unwrap_used)]
mod tests;
