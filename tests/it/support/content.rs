//! Inspection helpers for the content-capture tests: optional attribute strings and a text dump
//! of everything exported (to look for leaked content).

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanData;

use super::attr;

/// The string value of attribute `key`.
pub fn attr_str(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

/// The string value of attribute `key` of the event named `event`.
pub fn event_attr_str(span: &SpanData, event: &str, key: &str) -> Option<String> {
    span.events
        .iter()
        .find(|e| e.name == event)
        .and_then(|e| e.attributes.iter().find(|kv| kv.key.as_str() == key))
        .map(|kv| kv.value.as_str().into_owned())
}

fn dump_kvs(out: &mut String, kvs: &[KeyValue]) {
    for kv in kvs {
        out.push_str(kv.key.as_str());
        out.push('=');
        out.push_str(&format!("{:?}", kv.value));
        out.push_str(&kv.value.as_str());
        out.push('\n');
    }
}

/// Everything exported for `spans` as text: names, attributes, events, links, status.
pub fn dump(spans: &[SpanData]) -> String {
    let mut out = String::new();
    for s in spans {
        out.push_str(&s.name);
        out.push('\n');
        dump_kvs(&mut out, &s.attributes);
        for e in s.events.iter() {
            out.push_str(&e.name);
            out.push('\n');
            dump_kvs(&mut out, &e.attributes);
        }
        for l in s.links.iter() {
            dump_kvs(&mut out, &l.attributes);
        }
        out.push_str(&format!("{:?}\n", s.status));
    }
    out
}
