//! Owned field values: what a span field held, kept until the span closes.

use std::fmt;

use opentelemetry::Value;

/// The value of an ordinary (non-GenAI) span field, as the span recorded it.
///
/// Mappers read these through [`GenAiSpan::field`](crate::GenAiSpan::field). Unsigned integers
/// that fit in `i64` are exported as OpenTelemetry ints (not strings, unlike plain
/// tracing-opentelemetry); larger ones as strings.
///
/// ```
/// use tracing_genai::FieldValue;
///
/// assert_eq!(FieldValue::from(7_u64).to_string(), "7");
/// assert_eq!(FieldValue::from("acme").as_str(), Some("acme"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FieldValue {
    /// A string (`field = "x"`, `field = %x`, or `field = ?x` rendered with `Debug`).
    Str(String),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A boolean.
    Bool(bool),
}

impl FieldValue {
    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an `i64`, if it is an integer that fits.
    ///
    /// ```
    /// assert_eq!(tracing_genai::FieldValue::U64(3).as_i64(), Some(3));
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            FieldValue::I64(v) => Some(v),
            FieldValue::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The OpenTelemetry attribute value this field is exported as.
    ///
    /// ```
    /// use opentelemetry::Value;
    /// assert_eq!(tracing_genai::FieldValue::U64(3).to_otel(), Value::I64(3));
    /// ```
    pub fn to_otel(&self) -> Value {
        match self {
            FieldValue::Str(s) => Value::from(s.clone()),
            FieldValue::I64(v) => Value::I64(*v),
            FieldValue::U64(v) => match i64::try_from(*v) {
                Ok(v) => Value::I64(v),
                Err(_) => Value::from(v.to_string()),
            },
            FieldValue::F64(v) => Value::F64(*v),
            FieldValue::Bool(v) => Value::Bool(*v),
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Str(s) => f.write_str(s),
            FieldValue::I64(v) => write!(f, "{v}"),
            FieldValue::U64(v) => write!(f, "{v}"),
            FieldValue::F64(v) => write!(f, "{v}"),
            FieldValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(v: &str) -> Self {
        FieldValue::Str(v.to_string())
    }
}
impl From<String> for FieldValue {
    fn from(v: String) -> Self {
        FieldValue::Str(v)
    }
}
impl From<i64> for FieldValue {
    fn from(v: i64) -> Self {
        FieldValue::I64(v)
    }
}
impl From<u64> for FieldValue {
    fn from(v: u64) -> Self {
        FieldValue::U64(v)
    }
}
impl From<f64> for FieldValue {
    fn from(v: f64) -> Self {
        FieldValue::F64(v)
    }
}
impl From<bool> for FieldValue {
    fn from(v: bool) -> Self {
        FieldValue::Bool(v)
    }
}
