//! Typed, borrowing JSON views for the parsers' hot paths: only the members a span needs are
//! deserialized, strings borrow from the body where they have no escapes, and every other
//! member is skipped without building a `serde_json::Value`.
//!
//! Every view accepts *any* JSON value in *any* member (a member of an unexpected type is kept
//! as its kind, [`Json::Num`], [`Json::Arr`], ..., and judged by the same helpers the `Value`
//! code used), so a body parses exactly when it is JSON: the diagnostics for wrong types stay
//! those of the helpers, never a serde error. As with a `serde_json::Map`, a repeated member
//! replaces the earlier one.
//!
//! The one difference from parsing a `Value`: what a view does not read is skipped with
//! `serde::de::IgnoredAny`, for which serde_json checks the syntax but not the range of a
//! number (`1e400`), the pairing of `\u` surrogate escapes, or the nesting depth (128). A
//! body with such a problem only in what is skipped is now read (a `Value` parse rejected
//! the whole body as "not JSON"); a number or string a view reads is checked as before.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::model::diagnose;

/// The members of a JSON object a view keeps; unknown members are skipped.
pub(crate) trait FromMap<'de>: Default {
    /// Takes the value of member `key` from `map` (`map.next_value` exactly once).
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// An object view that keeps nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Skip;

impl<'de> FromMap<'de> for Skip {
    fn member<A: MapAccess<'de>>(&mut self, _: &str, map: &mut A) -> Result<(), A::Error> {
        map.next_value::<IgnoredAny>().map(|_| ())
    }
}

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Skip)
    }
}

/// A boxed view: for large views nested in others.
impl<'de, T: FromMap<'de>> FromMap<'de> for Box<T> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        T::member(self, key, map)
    }
}

/// Declares an object view: a struct of [`Json`] (or other lenient) members, each read from
/// the JSON member of the given name; a repeated member replaces the earlier value.
macro_rules! json_view {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident<$lt:lifetime $(, $tp:ident)*> {
            $( $(#[$fattr:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Default)]
        $vis struct $name<$lt $(, $tp)*> {
            $( $(#[$fattr])* pub(crate) $field: $ty, )*
            _borrow: ::std::marker::PhantomData<&$lt str>,
        }

        impl<'de: $lt, $lt $(, $tp: $crate::http::lenient::FromMap<'de>)*>
            $crate::http::lenient::FromMap<'de> for $name<$lt $(, $tp)*>
        {
            fn member<A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match key {
                    $( $key => self.$field = map.next_value()?, )*
                    _ => {
                        map.next_value::<::serde::de::IgnoredAny>()?;
                    }
                }
                Ok(())
            }
        }
    };
}
pub(crate) use json_view;

/// A JSON value of which only the kind is kept, except for scalars, strings, the elements of
/// an array (as `E`) and the members of an object (as the view `O`). `Absent` is a member
/// that is not there.
#[derive(Debug, Default)]
pub(crate) enum Json<'a, O = Skip, E = Skip> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    Arr(Vec<E>),
    /// Inline: a large view (usage, ...) is a `Box<View>` (see the `FromMap` of `Box`), so
    /// that the moves of member assignments stay small.
    Obj(O),
}

/// A member of which only scalars are kept.
pub(crate) type Scalar<'a> = Json<'a>;

impl<'de: 'a, 'a, O: FromMap<'de>, E: Deserialize<'de>> Deserialize<'de> for Json<'a, O, E> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor(PhantomData))
    }
}

struct JsonVisitor<'a, O, E>(PhantomData<(&'a str, O, E)>);

impl<'de: 'a, 'a, O: FromMap<'de>, E: Deserialize<'de>> Visitor<'de> for JsonVisitor<'a, O, E> {
    type Value = Json<'a, O, E>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<Er: de::Error>(self, v: bool) -> Result<Self::Value, Er> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<Er: de::Error>(self, v: i64) -> Result<Self::Value, Er> {
        Ok(Json::Num(v.into()))
    }

    fn visit_u64<Er: de::Error>(self, v: u64) -> Result<Self::Value, Er> {
        Ok(Json::Num(v.into()))
    }

    fn visit_f64<Er: de::Error>(self, v: f64) -> Result<Self::Value, Er> {
        // As `serde_json::Value`: a non-finite number is `null`.
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Num))
    }

    fn visit_borrowed_str<Er: de::Error>(self, v: &'de str) -> Result<Self::Value, Er> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }

    fn visit_str<Er: de::Error>(self, v: &str) -> Result<Self::Value, Er> {
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<Er: de::Error>(self, v: String) -> Result<Self::Value, Er> {
        Ok(Json::Str(Cow::Owned(v)))
    }

    fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
        Ok(Json::Null)
    }

    fn visit_none<Er: de::Error>(self) -> Result<Self::Value, Er> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<E>()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        view_of(map).map(Json::Obj)
    }
}

/// Reads the members of an object into the view `O`.
fn view_of<'de, O: FromMap<'de>, A: MapAccess<'de>>(mut map: A) -> Result<O, A::Error> {
    let mut view = O::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        view.member(&key.0, &mut map)?;
    }
    Ok(view)
}

/// A whole body: the view of an object, `None` for any other JSON value.
struct Top<O>(Option<O>);

impl<'de, O: FromMap<'de>> Deserialize<'de> for Top<O> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TopVisitor<O>(PhantomData<O>);
        impl<'de, O: FromMap<'de>> Visitor<'de> for TopVisitor<O> {
            type Value = Top<O>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top<O>, A::Error> {
                view_of(map).map(|view| Top(Some(view)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top<O>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Top(None))
            }
            fn visit_bool<Er: de::Error>(self, _: bool) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
            fn visit_i64<Er: de::Error>(self, _: i64) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
            fn visit_u64<Er: de::Error>(self, _: u64) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
            fn visit_f64<Er: de::Error>(self, _: f64) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
            fn visit_str<Er: de::Error>(self, _: &str) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
            fn visit_unit<Er: de::Error>(self) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
            fn visit_none<Er: de::Error>(self) -> Result<Top<O>, Er> {
                Ok(Top(None))
            }
        }
        d.deserialize_any(TopVisitor(PhantomData))
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<Er: de::Error>(self, v: &'de str) -> Result<Key<'de>, Er> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<Er: de::Error>(self, v: &str) -> Result<Key<'de>, Er> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<Er: de::Error>(self, v: String) -> Result<Key<'de>, Er> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'a, O, E> Json<'a, O, E> {
    /// The object view, if this is an object.
    pub(crate) fn obj(&self) -> Option<&O> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    /// The elements, if this is an array (else none).
    pub(crate) fn items(&self) -> &[E] {
        match self {
            Json::Arr(items) => items,
            _ => &[],
        }
    }

    /// `Value::as_str`: any string, empty included.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A non-empty string (as `model::str_of`).
    pub(crate) fn str(&self) -> Option<&str> {
        self.as_str().filter(|s| !s.is_empty())
    }

    /// A non-empty string, owned (as `model::string_of`).
    pub(crate) fn string(&self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    /// A string, as shared text (one copy).
    pub(crate) fn shared(&self) -> Option<std::sync::Arc<str>> {
        self.str().map(std::sync::Arc::from)
    }

    /// `Value::as_i64`.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Num(n) => n.as_i64(),
            _ => None,
        }
    }

    /// A boolean.
    pub(crate) fn bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The `model` member: a non-empty string; a present non-string is diagnosed.
    pub(crate) fn model(&self, d: &mut Vec<String>) -> Option<std::sync::Arc<str>> {
        match self {
            Json::Absent | Json::Null => None,
            Json::Str(s) => (!s.is_empty()).then(|| std::sync::Arc::from(&**s)),
            _ => {
                diagnose(d, "`model` is not a string");
                None
            }
        }
    }

    /// A finite number; a present member of the wrong type is diagnosed.
    pub(crate) fn f64(&self, key: &str, d: &mut Vec<String>) -> Option<f64> {
        match self {
            Json::Absent | Json::Null => None,
            Json::Num(n) => n.as_f64().filter(|f| f.is_finite()),
            _ => {
                diagnose(d, format!("`{key}` is not a number"));
                None
            }
        }
    }

    /// An integer (integral floats accepted); a present member of the wrong type is
    /// diagnosed.
    pub(crate) fn i64(&self, key: &str, d: &mut Vec<String>) -> Option<i64> {
        match self {
            Json::Absent | Json::Null => None,
            Json::Num(n) => {
                let v = n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                });
                if v.is_none() {
                    diagnose(d, format!("`{key}` is not an integer"));
                }
                v
            }
            _ => {
                diagnose(d, format!("`{key}` is not an integer"));
                None
            }
        }
    }

    /// A token count (non-negative integer); a present member of the wrong type
    /// is diagnosed.
    pub(crate) fn count(&self, key: &str, d: &mut Vec<String>) -> Option<u64> {
        match self {
            Json::Absent | Json::Null => None,
            Json::Num(n) => match n.as_u64() {
                Some(v) => Some(v),
                None => {
                    diagnose(d, format!("usage `{key}` is not a non-negative integer"));
                    None
                }
            },
            _ => {
                diagnose(d, format!("usage `{key}` is not a number"));
                None
            }
        }
    }
}

impl<'a, O> Json<'a, O, Scalar<'a>> {
    /// `stop`: a string, or the strings of an array (`None` if there are none).
    pub(crate) fn string_list(&self) -> Option<Vec<String>> {
        match self {
            Json::Str(s) => Some(vec![s.to_string()]),
            Json::Arr(items) => {
                let list: Vec<String> = items
                    .iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect();
                (!list.is_empty()).then_some(list)
            }
            _ => None,
        }
    }
}

/// Parses a JSON object body into the view `T`; `None` (with the diagnostic
/// `{what} is JSON but not an object`, `{what} is empty` or `{what} is not JSON`) if the body is
/// not a JSON object.
pub(crate) fn parse_view<'a, T: FromMap<'a>>(
    body: &'a [u8],
    what: &str,
    diagnostics: &mut Vec<String>,
) -> Option<T> {
    // Valid UTF-8 first (as `Value` parsing requires it of every string), then the `str`
    // reader, which borrows strings without checking them again.
    let parsed = std::str::from_utf8(body)
        .ok()
        .map(serde_json::from_str::<Top<T>>);
    match parsed {
        Some(Ok(Top(Some(view)))) => Some(view),
        Some(Ok(_)) => {
            diagnose(diagnostics, format!("{what} is JSON but not an object"));
            None
        }
        _ if body.iter().all(u8::is_ascii_whitespace) => {
            diagnose(diagnostics, format!("{what} is empty"));
            None
        }
        _ => {
            diagnose(diagnostics, format!("{what} is not JSON"));
            None
        }
    }
}

/// Parses stream event data into the view `T`; `None` if it is not a JSON object.
pub(crate) fn parse_event<'a, T: FromMap<'a>>(data: &'a str) -> Option<T> {
    match serde_json::from_str::<Top<T>>(data) {
        Ok(Top(view)) => view,
        Err(_) => None,
    }
}
