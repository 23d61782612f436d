//! Size bounds for content attributes: the serialised JSON never exceeds its byte budget and is
//! always valid JSON.
//!
//! Strategy, cheapest first:
//! 1. blob parts larger than the blob limit become placeholders (size and MIME type kept);
//! 2. if the JSON is still too long, long strings (text, reasoning, tool arguments, ...) are cut
//!    on a UTF-8 boundary to a common cap found by binary search, each cut string ending in
//!    [`TRUNCATION_MARKER`]; strings of at most `KEEP_SHORT` (64) bytes (types, roles, ids) are
//!    never cut, so the value still matches its schema;
//! 3. if that is not enough, the oldest array elements (messages) are dropped;
//! 4. if even that is not enough, the value is not exported (the caller records a diagnostic).
//!
//! Cuts happen on the value tree, never on the serialised text, so no string or escape is
//! ever split.

use serde_json::{Map, Value};

/// Appended to every string the size limit cut.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// Strings this short are never cut (types, roles, ids, finish reasons).
pub(crate) const KEEP_SHORT: usize = 64;

/// What truncation did to one value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) strings_cut: bool,
    pub(crate) elements_dropped: usize,
}

/// Decoded size of base64 text (approximate for malformed input).
fn base64_decoded_len(s: &str) -> usize {
    let trimmed = s.trim_end_matches('=');
    trimmed.len() * 3 / 4
}

/// Replaces `blob` parts whose base64 content exceeds `max_blob_bytes` by a placeholder blob:
/// same type, modality and MIME type, empty content, `size_bytes` (decoded size) and
/// `omitted: true`. Walks at most `depth` levels.
pub(crate) fn replace_blobs(v: &mut Value, max_blob_bytes: usize, depth: usize) -> usize {
    let mut n = 0;
    match v {
        Value::Object(m) => {
            let is_big_blob = m.get("type").and_then(Value::as_str) == Some("blob")
                && m.get("content")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.len() > max_blob_bytes);
            if is_big_blob {
                let size = m
                    .get("content")
                    .and_then(Value::as_str)
                    .map(base64_decoded_len)
                    .unwrap_or(0);
                let mut placeholder = Map::new();
                placeholder.insert("type".into(), Value::from("blob"));
                for k in ["mime_type", "modality"] {
                    if let Some(x) = m.get(k) {
                        placeholder.insert(k.into(), x.clone());
                    }
                }
                placeholder.insert("content".into(), Value::from(""));
                placeholder.insert("size_bytes".into(), Value::from(size as u64));
                placeholder.insert("omitted".into(), Value::Bool(true));
                *m = placeholder;
                return 1;
            }
            if depth > 0 {
                for x in m.values_mut() {
                    n += replace_blobs(x, max_blob_bytes, depth - 1);
                }
            }
        }
        Value::Array(a) if depth > 0 => {
            for x in a {
                n += replace_blobs(x, max_blob_bytes, depth - 1);
            }
        }
        _ => {}
    }
    n
}

/// Cuts every string longer than `max(cap, KEEP_SHORT)` bytes to `cap` bytes plus the marker.
fn cap_strings(v: &mut Value, cap: usize) -> bool {
    match v {
        Value::String(s) if s.len() > cap.max(KEEP_SHORT) => {
            let end = crate::model::text::cut(s, cap).len();
            s.truncate(end);
            s.push_str(TRUNCATION_MARKER);
            true
        }
        Value::Array(a) => a.iter_mut().fold(false, |acc, x| cap_strings(x, cap) | acc),
        Value::Object(m) => m
            .values_mut()
            .fold(false, |acc, x| cap_strings(x, cap) | acc),
        _ => false,
    }
}

fn longest_string(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(longest_string).max().unwrap_or(0),
        Value::Object(m) => m.values().map(longest_string).max().unwrap_or(0),
        _ => 0,
    }
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

/// Serialises `v` within `limit` bytes, cutting as described in the module docs. `None` when
/// the value cannot fit at all.
pub(crate) fn fit(mut v: Value, limit: usize) -> (Option<String>, Outcome) {
    let mut outcome = Outcome::default();
    let Ok(s) = serde_json::to_string(&v) else {
        return (None, outcome);
    };
    if s.len() <= limit {
        return (Some(s), outcome);
    }
    // No string longer than the whole budget can be kept: cut those first, so that the search
    // below copies at most a few budgets' worth of text, however large the input.
    outcome.strings_cut = cap_strings(&mut v, limit);
    // Binary search the largest string cap that fits.
    let longest = longest_string(&v);
    if longest > KEEP_SHORT {
        let fits = |cap: usize| {
            let mut c = v.clone();
            cap_strings(&mut c, cap);
            json_len(&c) <= limit
        };
        let (mut lo, mut hi) = (0usize, longest);
        let mut best = None;
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            if fits(mid) {
                best = Some(mid);
                lo = mid + 1;
            } else if mid == 0 {
                break;
            } else {
                hi = mid - 1;
            }
        }
        let cap = best.unwrap_or(0);
        outcome.strings_cut |= cap_strings(&mut v, cap);
        if best.is_some()
            && let Ok(s) = serde_json::to_string(&v)
            && s.len() <= limit
        {
            return (Some(s), outcome);
        }
    }
    // Drop the oldest elements of a top-level array, keeping at least one.
    if let Value::Array(items) = &mut v {
        while items.len() > 1 {
            items.remove(0);
            outcome.elements_dropped += 1;
            if let Ok(s) = serde_json::to_string(&Value::Array(items.clone()))
                && s.len() <= limit
            {
                return (Some(s), outcome);
            }
        }
    }
    (None, outcome)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn cuts_inside_strings_and_stays_valid() {
        let v =
            json!([{"role": "user", "parts": [{"type": "text", "content": "é\"\\".repeat(5000)}]}]);
        let (s, o) = fit(v, 1000);
        let s = s.unwrap();
        assert!(s.len() <= 1000, "{}", s.len());
        assert!(o.strings_cut);
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back[0]["role"], "user");
        assert!(
            back[0]["parts"][0]["content"]
                .as_str()
                .unwrap()
                .ends_with(TRUNCATION_MARKER)
        );
    }

    #[test]
    fn blob_placeholder() {
        let mut v = json!([{"type": "blob", "modality": "image", "mime_type": "image/png", "content": "A".repeat(4000)}]);
        assert_eq!(replace_blobs(&mut v, 100, 8), 1);
        assert_eq!(v[0]["size_bytes"], 3000);
        assert_eq!(v[0]["mime_type"], "image/png");
        assert_eq!(v[0]["content"], "");
    }

    #[test]
    fn drops_old_messages_then_gives_up() {
        let msgs: Vec<Value> = (0..200)
            .map(|i| json!({"role": "user", "parts": [{"type": "text", "content": format!("m{i}")}]}))
            .collect();
        let (s, o) = fit(Value::Array(msgs), 300);
        let s = s.unwrap();
        assert!(s.len() <= 300 && o.elements_dropped > 0);
        assert!(s.contains("m199"));
        let (s, _) = fit(json!({"k": "v"}), 3);
        assert!(s.is_none());
    }
}
