//! The normalisation rules: which values are random per run (or measure time) and what they
//! are replaced with. Everything here is listed in README.md; keep the two in step.

use std::collections::HashMap;

use regex::Regex;

/// Attribute keys whose integer value is a port; replaced when it is in the kernel's
/// ephemeral range (a `127.0.0.1:0` listener such as the mock LLM server gets one).
pub const PORT_KEYS: &[&str] = &[
    "server.port",
    "client.port",
    "network.peer.port",
    "network.local.port",
    "url.port",
];

/// Linux default `ip_local_port_range` (32768-60999), widened to the IANA dynamic range top.
pub fn is_ephemeral_port(v: i64) -> bool {
    (32768..=65535).contains(&v)
}

/// Attribute keys whose value is different in every run (process identity).
pub const PER_PROCESS_KEYS: &[&str] = &[
    "process.pid",
    "process.parent_pid",
    "service.instance.id",
    "process.start_time",
    "process.creation.time",
    "host.id",
];

/// Attribute keys whose value is a measured time span (seconds), not a fact of the call.
/// Their type is kept, their value replaced.
pub const DURATION_KEYS: &[&str] = &[
    // tracing-opentelemetry's per-span timings (nanoseconds busy / idle).
    "busy_ns",
    "idle_ns",
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.server.time_to_first_token",
    "gen_ai.server.time_per_output_token",
];

/// Metric units whose values are measured times: histograms keep only their count (and
/// bounds), sums/gauges lose their value.
pub fn is_duration_unit(unit: &str) -> bool {
    matches!(unit, "s" | "ms" | "us" | "µs" | "ns" | "min" | "h")
}

/// Text normaliser: stdout/stderr and string attribute values.
pub struct Text {
    ansi: Regex,
    loopback: Regex,
    timestamp: Regex,
    duration: Regex,
    dur_kv: Regex,
    hist_sum: Regex,
    hex32: Regex,
    hex16: Regex,
    pid: Regex,
    /// lower-case hex id -> label (trace ids -> T<n>, span ids -> S<n>/X<n>)
    pub ids: HashMap<String, String>,
    /// literal replacements applied first (e.g. the build directory -> `<crate>`)
    pub literal: Vec<(String, String)>,
}

impl Text {
    pub fn new(ids: HashMap<String, String>) -> Text {
        let keys = DURATION_KEYS
            .iter()
            .map(|k| regex::escape(k))
            .collect::<Vec<_>>()
            .join("|");
        Text {
            // CSI sequences (colours of the fmt layer, if any).
            ansi: Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]").unwrap(),
            // 127.0.0.1:PORT, localhost:PORT, [::1]:PORT (the OTLP receiver, the mock server).
            loopback: Regex::new(r"(127\.0\.0\.1|localhost|\[::1\]):\d{2,5}\b").unwrap(),
            // RFC 3339 timestamps (the fmt layer prints one per line).
            timestamp: Regex::new(
                r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\b",
            )
            .unwrap(),
            // Human durations: 3.3ms, 120 ms, 1.2s, 15µs, 2.5 secs, 3m5s ...
            duration: Regex::new(
                r"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|secs|seconds|milliseconds)\b",
            )
            .unwrap(),
            // `gen_ai.response.time_to_first_chunk = 0.1203` / `...=0.12` as printed by examples.
            dur_kv: Regex::new(&format!(r"\b({keys})(\s*[=:]\s*)-?\d+(\.\d+)?(e-?\d+)?")).unwrap(),
            // `metric X [s]: count 1 sum 0.153` (the streaming example's metric lines).
            hist_sum: Regex::new(r"(\[(s|ms|us|ns)\][^\n]*?\bsum\s*[=:]?\s*)-?\d+(\.\d+)?(e-?\d+)?")
                .unwrap(),
            hex32: Regex::new(r"\b[0-9a-f]{32}\b").unwrap(),
            hex16: Regex::new(r"\b[0-9a-f]{16}\b").unwrap(),
            pid: Regex::new(r"\b(pid|process\.pid|process id)([=: ]+)\d+").unwrap(),
            ids,
            literal: Vec::new(),
        }
    }

    pub fn with_literal(mut self, literal: Vec<(String, String)>) -> Text {
        self.literal = literal;
        self
    }

    fn literals(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (from, to) in &self.literal {
            if !from.is_empty() {
                s = s.replace(from.as_str(), to);
            }
        }
        s
    }

    /// Values inside attribute strings: loopback ports and known trace/span ids only (the
    /// rest of a string attribute is data and kept as is).
    pub fn attr_string(&self, s: &str) -> String {
        let s = self.literals(s);
        let s = self.loopback.replace_all(&s, "$1:<port>");
        self.known_ids(&s)
    }

    fn known_ids(&self, s: &str) -> String {
        let s = self.hex32.replace_all(s, |c: &regex::Captures| {
            self.ids.get(&c[0]).cloned().unwrap_or_else(|| c[0].to_string())
        });
        let s = self.hex16.replace_all(&s, |c: &regex::Captures| {
            self.ids.get(&c[0]).cloned().unwrap_or_else(|| c[0].to_string())
        });
        s.into_owned()
    }

    /// stdout / stderr of the example.
    pub fn output(&self, s: &str) -> String {
        let s = self.literals(s);
        let s = self.ansi.replace_all(&s, "");
        let s = s.replace("\r\n", "\n");
        let s = self.timestamp.replace_all(&s, "<timestamp>");
        let s = self.loopback.replace_all(&s, "$1:<port>");
        let s = self.dur_kv.replace_all(&s, "$1$2<duration>");
        let s = self.hist_sum.replace_all(&s, "$1<duration>");
        let s = self.duration.replace_all(&s, "<duration>");
        let s = self.pid.replace_all(&s, "$1$2<pid>");
        // Known ids to their labels, unknown ones to a placeholder.
        let s = self.hex32.replace_all(&s, |c: &regex::Captures| {
            self.ids
                .get(&c[0])
                .cloned()
                .unwrap_or_else(|| "<trace-id>".into())
        });
        let s = self.hex16.replace_all(&s, |c: &regex::Captures| {
            self.ids
                .get(&c[0])
                .cloned()
                .unwrap_or_else(|| "<span-id>".into())
        });
        sort_metric_blocks(&s)
    }
}

/// Sorts each run of consecutive lines starting with `metric ` (the streaming example prints
/// one line per data point in the SDK's hash-map order, which changes from run to run).
fn sort_metric_blocks(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    for line in s.lines() {
        if line.starts_with("metric ") {
            block.push(line);
            continue;
        }
        block.sort();
        out.append(&mut block);
        out.push(line);
    }
    block.sort();
    out.append(&mut block);
    let mut r = out.join("\n");
    if s.ends_with('\n') {
        r.push('\n');
    }
    r
}
