//! [`Raw`]: a value as a span recorded it (any Rust type `tracing` can visit), and its
//! coercions to what the conventions want (counts, ints, floats, booleans, string lists),
//! each failing with a reason instead of panicking.

use crate::model::FieldValue;
use crate::model::text;

/// A recorded value, borrowed for the duration of one visit.
#[derive(Clone, Copy)]
pub(crate) enum Raw<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
}

impl Raw<'_> {
    pub(crate) fn describe(&self) -> String {
        match self {
            Raw::Str(s) => format!("{:?}", text::cut(s, 64)),
            Raw::I64(v) => v.to_string(),
            Raw::U64(v) => v.to_string(),
            Raw::I128(v) => v.to_string(),
            Raw::U128(v) => v.to_string(),
            Raw::F64(v) => v.to_string(),
            Raw::Bool(v) => v.to_string(),
        }
    }

    pub(crate) fn to_field_value(self) -> FieldValue {
        match self {
            Raw::Str(s) => FieldValue::Str(s.to_string()),
            Raw::I64(v) => FieldValue::I64(v),
            Raw::U64(v) => FieldValue::U64(v),
            Raw::I128(v) => i64::try_from(v)
                .map(FieldValue::I64)
                .unwrap_or_else(|_| FieldValue::Str(v.to_string())),
            Raw::U128(v) => u64::try_from(v)
                .map(FieldValue::U64)
                .unwrap_or_else(|_| FieldValue::Str(v.to_string())),
            Raw::F64(v) => FieldValue::F64(v),
            Raw::Bool(v) => FieldValue::Bool(v),
        }
    }

    pub(crate) fn string(&self) -> String {
        match self {
            Raw::Str(s) => (*s).to_string(),
            other => other.describe(),
        }
    }

    /// The value as shared text (one copy of a string; see [`string`](Self::string)).
    pub(crate) fn shared(&self) -> std::sync::Arc<str> {
        match self {
            Raw::Str(s) => std::sync::Arc::from(*s),
            other => std::sync::Arc::from(other.describe()),
        }
    }

    /// The value as text, borrowed when it is a string.
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Raw::Str(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.describe()),
        }
    }

    /// A non-negative count. Strings are parsed; floats must be whole. Counts above `i64::MAX`
    /// are kept and exported saturated with a diagnostic (see `diagnose_saturated_counts`).
    pub(crate) fn count(&self) -> Result<u64, &'static str> {
        self.unsigned()
    }

    pub(crate) fn unsigned(&self) -> Result<u64, &'static str> {
        match *self {
            Raw::U64(v) => Ok(v),
            Raw::I64(v) => u64::try_from(v).map_err(|_| "negative"),
            Raw::I128(v) => u64::try_from(v).map_err(|_| "out of range"),
            Raw::U128(v) => u64::try_from(v).map_err(|_| "out of range"),
            Raw::F64(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 => {
                Ok(v as u64)
            }
            Raw::F64(_) => Err("not a whole non-negative number"),
            Raw::Str(s) => s.trim().parse::<u64>().map_err(|_| "not a number"),
            Raw::Bool(_) => Err("a boolean"),
        }
    }

    /// A signed integer (seeds may be negative).
    pub(crate) fn int(&self) -> Result<i64, &'static str> {
        match *self {
            Raw::I64(v) => Ok(v),
            Raw::U64(v) => i64::try_from(v).map_err(|_| "out of range"),
            Raw::I128(v) => i64::try_from(v).map_err(|_| "out of range"),
            Raw::U128(v) => i64::try_from(v).map_err(|_| "out of range"),
            Raw::F64(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.2e18 => Ok(v as i64),
            Raw::F64(_) => Err("not a whole number"),
            Raw::Str(s) => s.trim().parse::<i64>().map_err(|_| "not a number"),
            Raw::Bool(_) => Err("a boolean"),
        }
    }

    /// A finite float.
    pub(crate) fn float(&self) -> Result<f64, &'static str> {
        let v = match *self {
            Raw::F64(v) => v,
            Raw::I64(v) => v as f64,
            Raw::U64(v) => v as f64,
            Raw::I128(v) => v as f64,
            Raw::U128(v) => v as f64,
            Raw::Str(s) => s.trim().parse::<f64>().map_err(|_| "not a number")?,
            Raw::Bool(_) => return Err("a boolean"),
        };
        if v.is_finite() {
            Ok(v)
        } else {
            Err("not finite")
        }
    }

    pub(crate) fn boolean(&self) -> Result<bool, &'static str> {
        match *self {
            Raw::Bool(v) => Ok(v),
            Raw::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err("not a boolean"),
            },
            Raw::I64(0) | Raw::U64(0) => Ok(false),
            Raw::I64(1) | Raw::U64(1) => Ok(true),
            _ => Err("not a boolean"),
        }
    }

    /// A list of strings: a JSON array (`["stop"]`, as `?vec` renders it too), a comma-separated
    /// string, or a single value.
    pub(crate) fn list(&self) -> Vec<String> {
        match self {
            Raw::Str(s) => parse_list(s),
            other => vec![other.string()],
        }
    }
}

/// Parses `["a", "b"]`, `a,b` or `a` into a list of non-empty trimmed strings.
pub(crate) fn parse_list(s: &str) -> Vec<String> {
    let t = s.trim();
    // The common case, one value (`"stop"`): what the comma split below yields, without the
    // iterator and the over-sized vector.
    if !t.starts_with('[') && !t.contains(',') {
        return if t.is_empty() {
            Vec::new()
        } else {
            vec![t.to_string()]
        };
    }
    if t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<serde_json::Value>>(t) {
            return v
                .into_iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
        }
        let inner = t.trim_start_matches('[').trim_end_matches(']');
        return inner
            .split(',')
            .map(|p| p.trim().trim_matches('"').trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
    }
    t.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

impl Raw<'_> {
    pub(crate) fn int_non_negative(&self) -> Result<i64, &'static str> {
        let v = self.int()?;
        if v < 0 { Err("negative") } else { Ok(v) }
    }
}

impl<'a> From<&'a FieldValue> for Raw<'a> {
    /// A kept value, recorded again (inheritance, typed helpers).
    fn from(value: &'a FieldValue) -> Self {
        match value {
            FieldValue::Str(s) => Raw::Str(s),
            FieldValue::I64(v) => Raw::I64(*v),
            FieldValue::U64(v) => Raw::U64(*v),
            FieldValue::F64(v) => Raw::F64(*v),
            FieldValue::Bool(v) => Raw::Bool(*v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn single_values_parse_like_the_comma_split() {
        assert_eq!(parse_list("stop"), vec!["stop"]);
        assert_eq!(parse_list("  stop \n"), vec!["stop"]);
        assert!(parse_list("").is_empty());
        assert!(parse_list("   ").is_empty());
        assert_eq!(parse_list("a, b"), vec!["a", "b"]);
        assert_eq!(parse_list(" a,, b ,"), vec!["a", "b"]);
        assert_eq!(parse_list(",").len(), 0);
        assert_eq!(parse_list(r#"["x", "y"]"#), vec!["x", "y"]);
    }
}
