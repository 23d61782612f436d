//! The canonical dump: line-oriented text, deterministic order, ids replaced by labels, time
//! removed. Strings are JSON-quoted so every value is unambiguous.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, metric, number_data_point, AggregationTemporality, Exemplar, Metric,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status, Span};

use crate::norm::{self, Text};
use crate::server::{Export, Received};

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn is_empty_id(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

/// Renders a value with its OTLP type: `string "x"`, `int 3`, `double 0.2`, `bool true`,
/// `bytes 0a0b`, `array [..]`, `kvlist {..}`, `empty`.
fn value(key: &str, v: Option<&AnyValue>, text: &Text) -> String {
    let Some(v) = v.and_then(|v| v.value.as_ref()) else {
        return "empty".into();
    };
    use any_value::Value as V;
    let dur = norm::DURATION_KEYS.contains(&key);
    let per_process = norm::PER_PROCESS_KEYS.contains(&key);
    match v {
        V::StringValue(_) if per_process => "string <per-process>".into(),
        V::IntValue(_) if per_process => "int <per-process>".into(),
        V::IntValue(_) if dur => "int <duration>".into(),
        V::DoubleValue(_) if dur => "double <duration>".into(),
        V::StringValue(_) if dur => "string <duration>".into(),
        V::IntValue(i) if norm::PORT_KEYS.contains(&key) && norm::is_ephemeral_port(*i) => {
            "int <ephemeral-port>".into()
        }
        V::StringValue(s) => format!("string {}", q(&text.attr_string(s))),
        V::BoolValue(b) => format!("bool {b}"),
        V::IntValue(i) => format!("int {i}"),
        V::DoubleValue(d) => format!("double {d:?}"),
        V::BytesValue(b) => format!("bytes {}", hex(b)),
        V::ArrayValue(a) => {
            let items: Vec<String> = a.values.iter().map(|x| value(key, Some(x), text)).collect();
            format!("array [{}]", items.join(", "))
        }
        V::KvlistValue(kv) => {
            let items: Vec<String> = kv
                .values
                .iter()
                .map(|x| format!("{}: {}", q(&x.key), value(&x.key, x.value.as_ref(), text)))
                .collect();
            format!("kvlist {{{}}}", items.join(", "))
        }
        V::StringValueStrindex(i) => format!("string_strindex {i}"),
    }
}

fn attr_line(kv: &KeyValue, text: &Text) -> String {
    let key = if kv.key.is_empty() && kv.key_strindex != 0 {
        format!("<key_strindex {}>", kv.key_strindex)
    } else {
        kv.key.clone()
    };
    format!("{key} = {}", value(&key, kv.value.as_ref(), text))
}

/// Attributes in exported order (the order is part of what is exported).
fn attrs(out: &mut String, indent: &str, title: &str, kvs: &[KeyValue], text: &Text) {
    if kvs.is_empty() {
        let _ = writeln!(out, "{indent}{title}: (none)");
        return;
    }
    let _ = writeln!(out, "{indent}{title} ({}):", kvs.len());
    for kv in kvs {
        let _ = writeln!(out, "{indent}  {}", attr_line(kv, text));
    }
}

/// Attributes sorted by key (for sets whose order is not meaningful: the SDK keeps resource
/// attributes in a hash map and metric attribute sets sorted).
fn attrs_sorted(out: &mut String, indent: &str, title: &str, kvs: &[KeyValue], text: &Text) {
    let mut lines: Vec<String> = kvs.iter().map(|kv| attr_line(kv, text)).collect();
    lines.sort();
    if lines.is_empty() {
        let _ = writeln!(out, "{indent}{title}: (none)");
        return;
    }
    let _ = writeln!(out, "{indent}{title} ({}):", lines.len());
    for l in lines {
        let _ = writeln!(out, "{indent}  {l}");
    }
}

fn resource_text(r: Option<&Resource>, schema: &str, text: &Text) -> String {
    let mut s = String::new();
    let empty = Resource::default();
    let r = r.unwrap_or(&empty);
    attrs_sorted(&mut s, "  ", "attributes", &r.attributes, text);
    let _ = writeln!(
        s,
        "  dropped_attributes_count: {}\n  entity_refs: {}\n  schema_url: {}",
        r.dropped_attributes_count,
        r.entity_refs.len(),
        q(schema)
    );
    s
}

fn scope_text(sc: Option<&InstrumentationScope>, schema: &str, text: &Text) -> String {
    let mut s = String::new();
    let empty = InstrumentationScope::default();
    let sc = sc.unwrap_or(&empty);
    let _ = writeln!(
        s,
        "  name: {}\n  version: {}\n  schema_url: {}\n  dropped_attributes_count: {}",
        q(&sc.name),
        q(&sc.version),
        q(schema),
        sc.dropped_attributes_count
    );
    attrs(&mut s, "  ", "attributes", &sc.attributes, text);
    s
}

fn kind_name(k: i32) -> String {
    match span::SpanKind::try_from(k) {
        Ok(k) => k.as_str_name().trim_start_matches("SPAN_KIND_").to_string(),
        Err(_) => format!("<unknown {k}>"),
    }
}

fn status_text(s: Option<&opentelemetry_proto::tonic::trace::v1::Status>) -> String {
    match s {
        None => "(absent)".into(),
        Some(s) => {
            let code = match status::StatusCode::try_from(s.code) {
                Ok(c) => c.as_str_name().trim_start_matches("STATUS_CODE_").to_string(),
                Err(_) => format!("<unknown {}>", s.code),
            };
            if s.message.is_empty() {
                code
            } else {
                format!("{code} {}", q(&s.message))
            }
        }
    }
}

/// Interns text blocks (resources, scopes) into labels assigned in sorted order.
struct Interned {
    labels: HashMap<String, String>,
    ordered: Vec<(String, String)>,
}

fn intern(prefix: &str, texts: impl IntoIterator<Item = String>) -> Interned {
    let set: BTreeSet<String> = texts.into_iter().collect();
    let mut labels = HashMap::new();
    let mut ordered = Vec::new();
    for (i, t) in set.into_iter().enumerate() {
        let l = format!("{prefix}{i}");
        labels.insert(t.clone(), l.clone());
        ordered.push((l, t));
    }
    Interned { labels, ordered }
}

struct Flat<'a> {
    span: &'a Span,
    resource: String,
    scope: String,
}

/// Labels for ids: traces T<n>, exported spans S<n>, ids referenced but not exported X<n>.
#[derive(Default)]
struct Labels {
    traces: HashMap<Vec<u8>, String>,
    spans: HashMap<(Vec<u8>, Vec<u8>), String>,
    external: HashMap<(Vec<u8>, Vec<u8>), String>,
}

impl Labels {
    fn trace(&mut self, t: &[u8]) -> String {
        if is_empty_id(t) {
            return "-".into();
        }
        let n = self.traces.len();
        self.traces
            .entry(t.to_vec())
            .or_insert_with(|| format!("T{n}"))
            .clone()
    }
    /// A reference to a span (parent, link, exemplar, log record).
    fn span_ref(&mut self, t: &[u8], s: &[u8]) -> String {
        if is_empty_id(s) {
            return "-".into();
        }
        let tl = self.trace(t);
        if let Some(l) = self.spans.get(&(t.to_vec(), s.to_vec())) {
            return format!("{tl}/{l}");
        }
        let n = self.external.len();
        let l = self
            .external
            .entry((t.to_vec(), s.to_vec()))
            .or_insert_with(|| format!("X{n}"))
            .clone();
        format!("{tl}/{l} (not exported)")
    }
    fn id_map(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        for (t, l) in &self.traces {
            m.insert(hex(t), l.clone());
        }
        for ((_, s), l) in self.spans.iter().chain(self.external.iter()) {
            m.insert(hex(s), l.clone());
        }
        m
    }
}

/// Text of one span without ids or time (used as the sort key and, with labels, for output).
fn span_body(
    out: &mut String,
    ind: &str,
    f: &Flat,
    text: &Text,
    labels: Option<&mut Labels>,
    resources: &Interned,
    scopes: &Interned,
) {
    let sp = f.span;
    let _ = writeln!(out, "{ind}kind: {}", kind_name(sp.kind));
    let _ = writeln!(out, "{ind}status: {}", status_text(sp.status.as_ref()));
    let _ = writeln!(
        out,
        "{ind}resource: {}  scope: {}",
        resources.labels[&f.resource], scopes.labels[&f.scope]
    );
    let _ = writeln!(out, "{ind}flags: {:#010x}", sp.flags);
    if !sp.trace_state.is_empty() {
        let _ = writeln!(out, "{ind}trace_state: {}", q(&sp.trace_state));
    }
    attrs(out, ind, "attributes", &sp.attributes, text);
    let _ = writeln!(
        out,
        "{ind}dropped: attributes {} events {} links {}",
        sp.dropped_attributes_count, sp.dropped_events_count, sp.dropped_links_count
    );
    if sp.events.is_empty() {
        let _ = writeln!(out, "{ind}events: (none)");
    } else {
        let _ = writeln!(out, "{ind}events ({}, in exported order):", sp.events.len());
        for (i, e) in sp.events.iter().enumerate() {
            let _ = writeln!(
                out,
                "{ind}  [{i}] {} (dropped attributes {})",
                q(&e.name),
                e.dropped_attributes_count
            );
            attrs(out, &format!("{ind}      "), "attributes", &e.attributes, text);
        }
    }
    if sp.links.is_empty() {
        let _ = writeln!(out, "{ind}links: (none)");
    } else {
        let _ = writeln!(out, "{ind}links ({}):", sp.links.len());
        let mut labels = labels;
        for (i, l) in sp.links.iter().enumerate() {
            let target = match labels.as_deref_mut() {
                Some(lb) => lb.span_ref(&l.trace_id, &l.span_id),
                None => "<link>".into(),
            };
            let _ = writeln!(
                out,
                "{ind}  [{i}] -> {target} flags {:#010x} trace_state {} (dropped attributes {})",
                l.flags,
                q(&l.trace_state),
                l.dropped_attributes_count
            );
            attrs(out, &format!("{ind}      "), "attributes", &l.attributes, text);
        }
    }
}

pub struct Dump {
    pub text: String,
    pub id_map: HashMap<String, String>,
    pub summary: String,
}

/// Renders everything the receiver got. `text` is a normaliser without id labels (ids are
/// only known after the tree is laid out; attribute strings rarely hold them).
pub fn render(received: &Received, text_plain: &Text) -> Dump {
    let text = text_plain;
    let mut out = String::new();

    // ---- traces: flatten, intern resources and scopes
    let mut flat: Vec<Flat> = Vec::new();
    let mut trace_requests = 0;
    let mut metric_exports: Vec<&opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest> =
        Vec::new();
    let mut log_exports = Vec::new();
    for e in &received.exports {
        match e {
            Export::Traces(t) => {
                trace_requests += 1;
                for rs in &t.resource_spans {
                    let r = resource_text(rs.resource.as_ref(), &rs.schema_url, text);
                    for ss in &rs.scope_spans {
                        let s = scope_text(ss.scope.as_ref(), &ss.schema_url, text);
                        for sp in &ss.spans {
                            flat.push(Flat {
                                span: sp,
                                resource: r.clone(),
                                scope: s.clone(),
                            });
                        }
                    }
                }
            }
            Export::Metrics(m) => metric_exports.push(m),
            Export::Logs(l) => log_exports.push(l),
        }
    }
    let mut res_texts: Vec<String> = flat.iter().map(|f| f.resource.clone()).collect();
    let mut scope_texts: Vec<String> = flat.iter().map(|f| f.scope.clone()).collect();
    for m in &metric_exports {
        for rm in &m.resource_metrics {
            res_texts.push(resource_text(rm.resource.as_ref(), &rm.schema_url, text));
            for sm in &rm.scope_metrics {
                scope_texts.push(scope_text(sm.scope.as_ref(), &sm.schema_url, text));
            }
        }
    }
    for l in &log_exports {
        for rl in &l.resource_logs {
            res_texts.push(resource_text(rl.resource.as_ref(), &rl.schema_url, text));
            for sl in &rl.scope_logs {
                scope_texts.push(scope_text(sl.scope.as_ref(), &sl.schema_url, text));
            }
        }
    }
    let resources = intern("R", res_texts);
    let scopes = intern("C", scope_texts);

    // ---- the span tree
    let mut by_id: HashMap<(Vec<u8>, Vec<u8>), usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for (i, f) in flat.iter().enumerate() {
        let k = (f.span.trace_id.clone(), f.span.span_id.clone());
        if by_id.insert(k, i).is_some() {
            duplicates.push(i);
        }
    }
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut roots: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
    for (i, f) in flat.iter().enumerate() {
        let parent = if is_empty_id(&f.span.parent_span_id) {
            None
        } else {
            by_id
                .get(&(f.span.trace_id.clone(), f.span.parent_span_id.clone()))
                .copied()
                .filter(|&p| p != i)
        };
        match parent {
            Some(p) => children.entry(p).or_default().push(i),
            None => roots.entry(f.span.trace_id.clone()).or_default().push(i),
        }
    }
    // Sort keys: the subtree's text without ids/time, children sorted by their own key.
    let mut keys: HashMap<usize, String> = HashMap::new();
    fn key_of(
        i: usize,
        flat: &[Flat],
        children: &HashMap<usize, Vec<usize>>,
        keys: &mut HashMap<usize, String>,
        text: &Text,
        resources: &Interned,
        scopes: &Interned,
    ) -> String {
        if let Some(k) = keys.get(&i) {
            return k.clone();
        }
        let f = &flat[i];
        let mut s = format!("span {}\n", q(&f.span.name));
        let ext = !is_empty_id(&f.span.parent_span_id);
        let _ = writeln!(s, "has parent id: {ext}");
        span_body(&mut s, "", f, text, None, resources, scopes);
        let mut ck: Vec<String> = children
            .get(&i)
            .map(|c| {
                c.iter()
                    .map(|&c| key_of(c, flat, children, keys, text, resources, scopes))
                    .collect()
            })
            .unwrap_or_default();
        ck.sort();
        for c in ck {
            for line in c.lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        keys.insert(i, s.clone());
        s
    }
    for i in 0..flat.len() {
        key_of(i, &flat, &children, &mut keys, text, &resources, &scopes);
    }
    // Children and roots ordered by (name, key, start time).
    let order = |v: &mut Vec<usize>, keys: &HashMap<usize, String>| {
        v.sort_by(|&a, &b| {
            (&flat[a].span.name, &keys[&a], flat[a].span.start_time_unix_nano).cmp(&(
                &flat[b].span.name,
                &keys[&b],
                flat[b].span.start_time_unix_nano,
            ))
        })
    };
    for v in children.values_mut() {
        order(v, &keys);
    }
    let mut traces: Vec<(String, Vec<u8>, Vec<usize>)> = roots
        .into_iter()
        .map(|(t, mut r)| {
            order(&mut r, &keys);
            let k: Vec<&str> = r.iter().map(|i| keys[i].as_str()).collect();
            (k.join("\n"), t, r)
        })
        .collect();
    traces.sort();

    // Labels in depth-first order.
    let mut labels = Labels::default();
    let mut dfs: Vec<(usize, usize)> = Vec::new(); // (span index, depth)
    fn walk(i: usize, d: usize, children: &HashMap<usize, Vec<usize>>, dfs: &mut Vec<(usize, usize)>) {
        dfs.push((i, d));
        if let Some(c) = children.get(&i) {
            for &c in c {
                walk(c, d + 1, children, dfs);
            }
        }
    }
    for (_, t, r) in &traces {
        labels.trace(t);
        for &i in r {
            walk(i, 0, &children, &mut dfs);
        }
    }
    for (n, &(i, _)) in dfs.iter().enumerate() {
        let f = &flat[i];
        labels
            .spans
            .insert((f.span.trace_id.clone(), f.span.span_id.clone()), format!("S{n}"));
    }
    // Start rank among siblings (chronological position; the dump order is by content).
    let mut rank: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut rank_group = |g: &[usize]| {
        let mut by_time: Vec<usize> = g.to_vec();
        by_time.sort_by_key(|&i| (flat[i].span.start_time_unix_nano, i));
        for (r, &i) in by_time.iter().enumerate() {
            rank.insert(i, (r + 1, g.len()));
        }
    };
    for v in children.values() {
        rank_group(v);
    }
    for (_, _, r) in &traces {
        rank_group(r);
    }

    // ---- header
    let n_spans = flat.len();
    let mut metric_count = 0;
    let mut point_count = 0;
    for m in &metric_exports {
        for rm in &m.resource_metrics {
            for sm in &rm.scope_metrics {
                metric_count += sm.metrics.len();
                for mt in &sm.metrics {
                    point_count += points(mt);
                }
            }
        }
    }
    let n_logs: usize = log_exports
        .iter()
        .flat_map(|l| &l.resource_logs)
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    let summary = format!(
        "spans {n_spans} in {} traces; metric exports {}, metrics {metric_count}, data points {point_count}; log records {n_logs}",
        traces.len(),
        metric_exports.len()
    );
    let _ = writeln!(out, "## OTLP received: {summary}");
    let _ = writeln!(
        out,
        "## requests: traces {trace_requests}, metrics {}, logs {}; encodings {:?}",
        metric_exports.len(),
        log_exports.len(),
        received.encodings
    );
    if received.problems.is_empty() {
        let _ = writeln!(out, "## receiver problems: (none)");
    } else {
        let _ = writeln!(out, "## receiver problems:");
        for p in &received.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    if !duplicates.is_empty() {
        let _ = writeln!(out, "## DUPLICATE span ids: {} spans", duplicates.len());
    }

    let _ = writeln!(out, "\n# resources");
    for (l, t) in &resources.ordered {
        let _ = write!(out, "{l}:\n{t}");
    }
    let _ = writeln!(out, "\n# scopes");
    for (l, t) in &scopes.ordered {
        let _ = write!(out, "{l}:\n{t}");
    }

    // ---- spans (need labels of link targets; those are all assigned already)
    let _ = writeln!(out, "\n# traces ({})", traces.len());
    for (_, t, r) in &traces {
        let tl = labels.trace(t);
        let _ = writeln!(out, "\ntrace {tl} ({} root spans)", r.len());
        for &i in r {
            let mut stack = vec![(i, 1usize)];
            while let Some((i, d)) = stack.pop() {
                let f = &flat[i];
                let ind = "  ".repeat(d);
                let sl = labels.spans[&(f.span.trace_id.clone(), f.span.span_id.clone())].clone();
                let parent = if is_empty_id(&f.span.parent_span_id) {
                    "-".to_string()
                } else {
                    labels.span_ref(&f.span.trace_id, &f.span.parent_span_id)
                };
                let (rk, of) = rank[&i];
                let _ = writeln!(
                    out,
                    "{ind}span {sl} {}  (trace {tl}, parent {parent}, started {rk} of {of} siblings)",
                    q(&f.span.name)
                );
                let body_ind = format!("{ind}  ");
                span_body(
                    &mut out,
                    &body_ind,
                    f,
                    text,
                    Some(&mut labels),
                    &resources,
                    &scopes,
                );
                if let Some(c) = children.get(&i) {
                    for &c in c.iter().rev() {
                        stack.push((c, d + 1));
                    }
                }
            }
        }
    }

    // ---- metrics
    let _ = writeln!(out, "\n# metric exports ({}, in arrival order)", metric_exports.len());
    for (n, m) in metric_exports.iter().enumerate() {
        let _ = writeln!(out, "\nmetric export #{}", n + 1);
        for rm in &m.resource_metrics {
            let r = resources.labels[&resource_text(rm.resource.as_ref(), &rm.schema_url, text)].clone();
            let mut blocks: Vec<(String, String)> = Vec::new();
            for sm in &rm.scope_metrics {
                let s = scopes.labels[&scope_text(sm.scope.as_ref(), &sm.schema_url, text)].clone();
                for mt in &sm.metrics {
                    let mut b = String::new();
                    metric_text(&mut b, mt, &s, &r, text, &mut labels);
                    blocks.push((format!("{} {s}", mt.name), b));
                }
            }
            blocks.sort();
            for (_, b) in blocks {
                out.push_str(&b);
            }
        }
    }

    // ---- logs
    let _ = writeln!(out, "\n# log exports ({})", log_exports.len());
    for (n, l) in log_exports.iter().enumerate() {
        let _ = writeln!(out, "\nlog export #{}", n + 1);
        for rl in &l.resource_logs {
            let r = resources.labels[&resource_text(rl.resource.as_ref(), &rl.schema_url, text)].clone();
            for sl in &rl.scope_logs {
                let s = scopes.labels[&scope_text(sl.scope.as_ref(), &sl.schema_url, text)].clone();
                for (i, rec) in sl.log_records.iter().enumerate() {
                    log_text(&mut out, i, rec, &r, &s, text, &mut labels);
                }
            }
        }
    }

    let id_map = labels.id_map();
    Dump {
        text: out,
        id_map,
        summary,
    }
}

fn points(m: &Metric) -> usize {
    match &m.data {
        Some(metric::Data::Gauge(g)) => g.data_points.len(),
        Some(metric::Data::Sum(s)) => s.data_points.len(),
        Some(metric::Data::Histogram(h)) => h.data_points.len(),
        Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(metric::Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

fn temporality(t: i32) -> String {
    match AggregationTemporality::try_from(t) {
        Ok(t) => t
            .as_str_name()
            .trim_start_matches("AGGREGATION_TEMPORALITY_")
            .to_string(),
        Err(_) => format!("<unknown {t}>"),
    }
}

fn exemplars_text(ex: &[Exemplar], dur: bool, text: &Text, labels: &mut Labels) -> String {
    if ex.is_empty() {
        return "exemplars: (none)".into();
    }
    if dur {
        return format!("exemplars: {} (values are durations: not shown)", ex.len());
    }
    let items: Vec<String> = ex
        .iter()
        .map(|e| {
            let v = match e.value {
                Some(exemplar::Value::AsDouble(d)) => format!("double {d:?}"),
                Some(exemplar::Value::AsInt(i)) => format!("int {i}"),
                None => "empty".into(),
            };
            let a: Vec<String> = e.filtered_attributes.iter().map(|kv| attr_line(kv, text)).collect();
            format!("{v} span {} [{}]", labels.span_ref(&e.trace_id, &e.span_id), a.join(", "))
        })
        .collect();
    format!("exemplars ({}): {}", ex.len(), items.join("; "))
}

fn metric_text(out: &mut String, m: &Metric, scope: &str, res: &str, text: &Text, labels: &mut Labels) {
    let dur = norm::is_duration_unit(&m.unit);
    let _ = writeln!(out, "  metric {}  (resource {res}, scope {scope})", q(&m.name));
    let _ = writeln!(out, "    unit: {}", q(&m.unit));
    let _ = writeln!(out, "    description: {}", q(&m.description));
    if !m.metadata.is_empty() {
        attrs(out, "    ", "metadata", &m.metadata, text);
    }
    // Data points sorted by their attribute set (the SDK's order comes from a hash map).
    let mut pts: Vec<(String, String)> = Vec::new();
    let dp_attrs = |kvs: &[KeyValue]| {
        let mut s = String::new();
        attrs_sorted(&mut s, "      ", "attributes", kvs, text);
        s
    };
    let (ty, temp): (&str, String) = match &m.data {
        None => ("(no data)", String::new()),
        Some(metric::Data::Gauge(g)) => {
            for p in &g.data_points {
                let mut s = dp_attrs(&p.attributes);
                let _ = writeln!(s, "      value: {}", number(p.value, dur));
                let _ = writeln!(s, "      flags: {}  {}", p.flags, exemplars_text(&p.exemplars, dur, text, labels));
                pts.push((s.clone(), s));
            }
            ("gauge", String::new())
        }
        Some(metric::Data::Sum(sm)) => {
            for p in &sm.data_points {
                let mut s = dp_attrs(&p.attributes);
                let _ = writeln!(s, "      value: {}", number(p.value, dur));
                let _ = writeln!(s, "      flags: {}  {}", p.flags, exemplars_text(&p.exemplars, dur, text, labels));
                pts.push((s.clone(), s));
            }
            (
                "sum",
                format!(
                    "temporality {}, monotonic {}",
                    temporality(sm.aggregation_temporality),
                    sm.is_monotonic
                ),
            )
        }
        Some(metric::Data::Histogram(h)) => {
            for p in &h.data_points {
                let mut s = dp_attrs(&p.attributes);
                let _ = writeln!(s, "      count: {}", p.count);
                if dur {
                    let _ = writeln!(
                        s,
                        "      sum/min/max/bucket_counts: <durations> (sum {}, min {}, max {}, {} buckets)",
                        present(p.sum.is_some()),
                        present(p.min.is_some()),
                        present(p.max.is_some()),
                        p.bucket_counts.len()
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "      sum: {}  min: {}  max: {}",
                        opt(p.sum),
                        opt(p.min),
                        opt(p.max)
                    );
                    let _ = writeln!(s, "      bucket_counts: {:?}", p.bucket_counts);
                }
                let _ = writeln!(s, "      explicit_bounds: {:?}", p.explicit_bounds);
                let _ = writeln!(s, "      flags: {}  {}", p.flags, exemplars_text(&p.exemplars, dur, text, labels));
                pts.push((s.clone(), s));
            }
            ("histogram", format!("temporality {}", temporality(h.aggregation_temporality)))
        }
        Some(metric::Data::ExponentialHistogram(h)) => {
            for p in &h.data_points {
                let mut s = dp_attrs(&p.attributes);
                let _ = writeln!(s, "      count: {}  scale: {}  zero_threshold: {:?}", p.count, p.scale, p.zero_threshold);
                if !dur {
                    let _ = writeln!(
                        s,
                        "      sum: {}  min: {}  max: {}  zero_count: {}  positive: {:?}  negative: {:?}",
                        opt(p.sum),
                        opt(p.min),
                        opt(p.max),
                        p.zero_count,
                        p.positive.as_ref().map(|b| (b.offset, &b.bucket_counts)),
                        p.negative.as_ref().map(|b| (b.offset, &b.bucket_counts)),
                    );
                }
                let _ = writeln!(s, "      flags: {}  {}", p.flags, exemplars_text(&p.exemplars, dur, text, labels));
                pts.push((s.clone(), s));
            }
            (
                "exponential_histogram",
                format!("temporality {}", temporality(h.aggregation_temporality)),
            )
        }
        Some(metric::Data::Summary(sm)) => {
            for p in &sm.data_points {
                let mut s = dp_attrs(&p.attributes);
                let _ = writeln!(s, "      count: {}", p.count);
                if !dur {
                    let q: Vec<String> = p
                        .quantile_values
                        .iter()
                        .map(|v| format!("{:?}={:?}", v.quantile, v.value))
                        .collect();
                    let _ = writeln!(s, "      sum: {:?}  quantiles: [{}]", p.sum, q.join(", "));
                }
                let _ = writeln!(s, "      flags: {}", p.flags);
                pts.push((s.clone(), s));
            }
            ("summary", String::new())
        }
    };
    let _ = writeln!(out, "    type: {ty}{}", if temp.is_empty() { String::new() } else { format!(", {temp}") });
    pts.sort();
    let _ = writeln!(out, "    data points ({}):", pts.len());
    for (i, (_, s)) in pts.iter().enumerate() {
        let _ = writeln!(out, "    - point {i}");
        out.push_str(s);
    }
}

fn present(b: bool) -> &'static str {
    if b {
        "set"
    } else {
        "absent"
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or("absent".into(), |v| format!("{v:?}"))
}

fn number(v: Option<number_data_point::Value>, dur: bool) -> String {
    match v {
        None => "empty".into(),
        Some(number_data_point::Value::AsInt(_)) if dur => "int <duration>".into(),
        Some(number_data_point::Value::AsDouble(_)) if dur => "double <duration>".into(),
        Some(number_data_point::Value::AsInt(i)) => format!("int {i}"),
        Some(number_data_point::Value::AsDouble(d)) => format!("double {d:?}"),
    }
}

fn log_text(
    out: &mut String,
    i: usize,
    r: &LogRecord,
    res: &str,
    scope: &str,
    text: &Text,
    labels: &mut Labels,
) {
    let _ = writeln!(
        out,
        "  log [{i}] severity {} {}  (resource {res}, scope {scope}, span {})",
        r.severity_number,
        q(&r.severity_text),
        labels.span_ref(&r.trace_id, &r.span_id)
    );
    let _ = writeln!(out, "    event_name: {}", q(&r.event_name));
    let _ = writeln!(out, "    body: {}", value("", r.body.as_ref(), text));
    let _ = writeln!(out, "    flags: {}  dropped attributes {}", r.flags, r.dropped_attributes_count);
    attrs(out, "    ", "attributes", &r.attributes, text);
}
