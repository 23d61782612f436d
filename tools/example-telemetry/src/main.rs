//! example-telemetry: run one example binary against an in-process OTLP/HTTP receiver and
//! write one canonical, normalised dump of everything it exported and printed.
//!
//! ```text
//! example-telemetry --name NAME --out FILE [--timeout SECS] [--env K=V]... [--replace FROM=TO]...
//!     -- PROGRAM [ARGS...]
//! ```
//!
//! The child gets the caller's environment minus every `OTEL_*`, `OPENAI_*` and `RUST_LOG`
//! variable, plus `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>` and
//! `OTEL_METRIC_EXPORT_INTERVAL=3600000` (so metrics are exported once, at shutdown), plus
//! any `--env`. Exit status: 0 when the dump was written (whatever the child's status, which is
//! in the dump), 2 on usage or I/O errors.

mod norm;
mod render;
mod server;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!(
        "usage: example-telemetry --name NAME --out FILE [--timeout SECS] [--env K=V]... [--replace FROM=TO]... -- PROGRAM [ARGS...]"
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut name = None;
    let mut out = None;
    let mut timeout = 120u64;
    let mut extra_env: Vec<(String, String)> = Vec::new();
    let mut literal: Vec<(String, String)> = Vec::new();
    let mut program: Vec<String> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--name" => name = args.next(),
            "--out" => out = args.next(),
            "--timeout" => {
                timeout = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--env" => {
                let kv = args.next().unwrap_or_else(|| usage());
                let (k, v) = kv.split_once('=').unwrap_or_else(|| usage());
                extra_env.push((k.to_string(), v.to_string()));
            }
            "--replace" => {
                let kv = args.next().unwrap_or_else(|| usage());
                let (k, v) = kv.split_once('=').unwrap_or_else(|| usage());
                literal.push((k.to_string(), v.to_string()));
            }
            "--" => {
                program = args.by_ref().collect();
            }
            _ => usage(),
        }
    }
    let (Some(name), Some(out)) = (name, out) else {
        usage()
    };
    if program.is_empty() {
        usage();
    }

    let receiver = server::Receiver::start().unwrap_or_else(|e| {
        eprintln!("example-telemetry: cannot listen on 127.0.0.1: {e}");
        std::process::exit(2)
    });

    let mut cmd = Command::new(&program[0]);
    cmd.args(&program[1..]);
    for (k, _) in std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
        .filter(|(k, _)| k.starts_with("OTEL_") || k.starts_with("OPENAI_") || k == "RUST_LOG")
    {
        cmd.env_remove(k);
    }
    cmd.env(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        format!("http://127.0.0.1:{}", receiver.port),
    )
    .env("OTEL_METRIC_EXPORT_INTERVAL", "3600000");
    for (k, v) in &extra_env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        eprintln!("example-telemetry: cannot run {}: {e}", program[0]);
        std::process::exit(2)
    });
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > Duration::from_secs(timeout) => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let stdout = t_out.join().unwrap_or_default();
    let stderr = t_err.join().unwrap_or_default();
    receiver.settle(Duration::from_secs(5));

    let received = receiver.received.lock().unwrap();
    let plain = norm::Text::new(Default::default()).with_literal(literal.clone());
    let dump = render::render(&received, &plain);
    let text = norm::Text::new(dump.id_map.clone()).with_literal(literal);
    let norm_out = |b: &[u8]| text.output(&String::from_utf8_lossy(b));

    let mut doc = String::new();
    doc.push_str(&format!("# example-telemetry dump: {name}\n"));
    doc.push_str("# normalised: ids -> labels, time removed, see README.md for the rules\n");
    let st = match (timed_out, status) {
        (true, _) => "TIMED OUT (killed)".to_string(),
        (false, Some(s)) => match s.code() {
            Some(c) => format!("exit code {c}"),
            None => format!("killed by signal ({s})"),
        },
        (false, None) => "unknown".to_string(),
    };
    doc.push_str(&format!("## process: {st}\n"));
    doc.push_str(&dump.text);
    for (title, bytes) in [("stdout", &stdout), ("stderr", &stderr)] {
        let s = norm_out(bytes);
        doc.push_str(&format!("\n# {title} ({} lines, normalised)\n", s.lines().count()));
        for line in s.lines() {
            doc.push_str("| ");
            doc.push_str(line);
            doc.push('\n');
        }
    }
    if let Err(e) = std::fs::write(&out, doc) {
        eprintln!("example-telemetry: cannot write {out}: {e}");
        std::process::exit(2);
    }
    println!("{name}: {st}; {}", dump.summary);
}
