//! Colours (ANSI, only on a terminal without `NO_COLOR`), typed values and durations, shared
//! by the span tree and the metrics table.

use std::fmt::Write as _;
use std::time::Duration;

use opentelemetry::{Array, Value};

/// Strings longer than this (message content, big JSON) are cut in the console output; the
/// exported span keeps them whole.
pub(crate) const MAX_STRING_CHARS: usize = 2000;

/// Whether to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

/// The colours used: one per kind of token.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Paint {
    /// Span and metric names.
    Name,
    /// Span kind, trace ids, units: secondary information.
    Dim,
    /// Attribute keys.
    Key,
    /// String values.
    Str,
    /// Numbers and booleans.
    Num,
    /// Durations.
    Time,
    /// Status `ok`.
    Ok,
    /// Status `error` and error descriptions.
    Error,
    /// Tree lines.
    Line,
}

impl Style {
    /// Colours when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub(crate) fn for_stdout() -> Style {
        use std::io::IsTerminal as _;
        Style::decide(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// Colours on a terminal, unless `NO_COLOR` is set to a non-empty value (no-color.org).
    fn decide(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> Style {
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        Style {
            color: terminal && !no_color,
        }
    }

    /// No colours.
    #[cfg(test)]
    pub(crate) const PLAIN: Style = Style { color: false };

    /// Appends `text` to `out` in the colour of `paint`.
    pub(crate) fn paint(self, out: &mut String, paint: Paint, text: &str) {
        if !self.color || text.is_empty() {
            out.push_str(text);
            return;
        }
        let code = match paint {
            Paint::Name => "1",
            Paint::Dim | Paint::Line => "2",
            Paint::Key => "34",
            Paint::Str => "32",
            Paint::Num => "36",
            Paint::Time => "33",
            Paint::Ok => "32",
            Paint::Error => "1;31",
        };
        let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
    }

    /// Appends `value` typed: strings quoted (and escaped), numbers and booleans bare, floats
    /// always with a decimal point or exponent, arrays as `[a, b]`.
    pub(crate) fn value(self, out: &mut String, value: &Value) {
        let mut text = String::new();
        let paint = match value {
            Value::Bool(b) => {
                let _ = write!(text, "{b}");
                Paint::Num
            }
            Value::I64(i) => {
                let _ = write!(text, "{i}");
                Paint::Num
            }
            Value::F64(f) => {
                float(&mut text, *f);
                Paint::Num
            }
            Value::String(s) => {
                quoted(&mut text, s.as_str());
                Paint::Str
            }
            Value::Array(array) => {
                self.array(out, array);
                return;
            }
            // A future value type: its own rendering.
            other => {
                let _ = write!(text, "{other}");
                Paint::Str
            }
        };
        self.paint(out, paint, &text);
    }

    fn array(self, out: &mut String, array: &Array) {
        fn items<T>(
            style: Style,
            out: &mut String,
            items: &[T],
            paint: Paint,
            one: impl Fn(&mut String, &T),
        ) {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let mut text = String::new();
                one(&mut text, item);
                style.paint(out, paint, &text);
            }
            out.push(']');
        }
        match array {
            Array::Bool(v) => items(self, out, v, Paint::Num, |t, b| {
                let _ = write!(t, "{b}");
            }),
            Array::I64(v) => items(self, out, v, Paint::Num, |t, i| {
                let _ = write!(t, "{i}");
            }),
            Array::F64(v) => items(self, out, v, Paint::Num, |t, f| float(t, *f)),
            Array::String(v) => items(self, out, v, Paint::Str, |t, s| quoted(t, s.as_str())),
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
}

/// A float that never looks like an int: `0.0`, `0.2`, `1e-7`, `NaN`.
pub(crate) fn float(out: &mut String, f: f64) {
    let _ = write!(out, "{f:?}");
}

/// `s` in double quotes, cut after [`MAX_STRING_CHARS`] characters. Only control characters
/// are escaped (`\n`, `\u{1b}`: no terminal escapes get through); quotes are not, so that
/// JSON content reads as JSON.
fn quoted(out: &mut String, s: &str) {
    let (shown, rest) = match s.char_indices().nth(MAX_STRING_CHARS) {
        None => (s, 0),
        Some((cut, _)) => (&s[..cut], s.len().saturating_sub(cut)),
    };
    out.push('"');
    for c in shown.chars() {
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    if rest > 0 {
        let _ = write!(out, "…(+{rest} bytes)");
    }
}

/// `s` with control characters escaped (names, keys, descriptions: no terminal escapes and
/// no line breaks get through).
pub(crate) fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A duration at a readable precision: `850µs`, `12.3ms`, `1.204s`.
pub(crate) fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.3}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: Value) -> String {
        let mut out = String::new();
        Style::PLAIN.value(&mut out, &v);
        out
    }

    #[test]
    fn values_are_typed() {
        assert_eq!(plain(Value::from("gpt-4o")), r#""gpt-4o""#);
        assert_eq!(plain(Value::from("12")), r#""12""#);
        assert_eq!(plain(Value::I64(12)), "12");
        assert_eq!(plain(Value::F64(0.0)), "0.0");
        assert_eq!(plain(Value::F64(0.25)), "0.25");
        assert_eq!(plain(Value::Bool(true)), "true");
        assert_eq!(
            plain(Value::Array(Array::String(vec![
                "stop".into(),
                "length".into()
            ]))),
            r#"["stop", "length"]"#
        );
        assert_eq!(plain(Value::Array(Array::I64(vec![1, 2]))), "[1, 2]");
        assert_eq!(
            plain(Value::from(r#"{"a":"b"}"#)),
            r#""{"a":"b"}""#,
            "JSON reads as JSON"
        );
        assert_eq!(plain(Value::from("a\nb\u{1b}[31m")), r#""a\nb\u{1b}[31m""#);
        assert_eq!(clean("chat\n\u{1b}[2J"), r"chat\n\u{1b}[2J");
        assert_eq!(clean("plain"), "plain");
    }

    #[test]
    fn long_strings_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_STRING_CHARS + 10);
        let text = plain(Value::from(long));
        assert!(text.ends_with("\"…(+20 bytes)"), "{text}");
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(Style::decide(true, None).color);
        assert!(Style::decide(true, Some(OsStr::new(""))).color);
        assert!(!Style::decide(true, Some(OsStr::new("1"))).color);
        assert!(!Style::decide(false, None).color);
    }

    #[test]
    fn colours_wrap_tokens_and_durations_scale() {
        let mut out = String::new();
        Style { color: true }.value(&mut out, &Value::I64(3));
        assert_eq!(out, "\x1b[36m3\x1b[0m");
        assert_eq!(duration(Duration::from_micros(850)), "850µs");
        assert_eq!(duration(Duration::from_micros(12_345)), "12.3ms");
        assert_eq!(duration(Duration::from_millis(1204)), "1.204s");
    }
}
