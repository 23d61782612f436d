//! Small text helpers every stage shares: one char-boundary cut, one type-name shortener,
//! one error-chain renderer, one ASCII lower-casing without allocation, and the rule that
//! says which field names hold secrets.

use std::borrow::Cow;

/// The longest prefix of `s` that is at most `max` bytes and ends on a char boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `my_crate::error::ApiError<T>` -> `ApiError`: the last path segment of a type name,
/// without generic arguments.
pub(crate) fn short_type_name(full: &str) -> &str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// The short type name of `E` (see [`short_type_name`]).
pub(crate) fn type_name_of<E: ?Sized>() -> &'static str {
    short_type_name(std::any::type_name::<E>())
}

/// `error` and its sources, joined with `: ` (a source whose text is already in the message
/// is skipped; at most 8 sources).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    let mut depth = 0;
    while let Some(s) = source {
        if depth >= 8 {
            break;
        }
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
        depth += 1;
    }
    message
}

/// `s` lower-cased (ASCII), in `buf` when it fits (no allocation), else in a new `String`.
pub(crate) fn ascii_lowercase<'a>(s: &'a str, buf: &'a mut [u8]) -> Cow<'a, str> {
    if !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(s);
    }
    if s.len() <= buf.len() {
        let out = &mut buf[..s.len()];
        out.copy_from_slice(s.as_bytes());
        out.make_ascii_lowercase();
        // ASCII lower-casing keeps UTF-8 valid; the fallback is never taken.
        if let Ok(lower) = std::str::from_utf8(out) {
            return Cow::Borrowed(lower);
        }
    }
    Cow::Owned(s.to_ascii_lowercase())
}

/// Whether an ordinary field name looks like it holds a secret; such fields are never kept.
pub(crate) fn is_secret_name(name: &str) -> bool {
    // `X-Api-Key` and `x_api_key` alike; judge the last dotted segment (`http.authorization`).
    let lower = name.to_ascii_lowercase().replace('-', "_");
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    matches!(
        last,
        "authorization"
            | "proxy_authorization"
            | "secret"
            | "token"
            | "bearer"
            | "cookie"
            | "set_cookie"
            | "credential"
            | "credentials"
            | "pwd"
    ) || [
        "api_key",
        "apikey",
        "password",
        "passwd",
        "_secret",
        "secret_key",
        "access_key",
        "private_key",
        "_token",
        "auth_token",
    ]
    .iter()
    .any(|suffix| last.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_char_boundaries() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
        assert_eq!(cut("", 0), "");
    }

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("a::b::ApiError"), "ApiError");
        assert_eq!(short_type_name("a::Wrapper<b::C>"), "Wrapper");
        assert_eq!(short_type_name("std::io::Error"), "Error");
    }
}
