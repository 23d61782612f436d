//! The console output of `Config::build()` with `OTEL_TRACES_EXPORTER=console` and
//! `OTEL_METRICS_EXPORTER=console`, read from the stdout of a child process: each trace as a
//! tree (typed attributes, kinds, status, events) once its root ends, the GenAI metrics as a
//! table at shutdown, and a report that counts every printed span.

use crate::support::otlp;
use crate::support::process::run_in_child_process;
use tracing_genai::GenAiSpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[test]
fn console_traces_and_metrics_are_readable() {
    if let Some(out) = run_in_child_process(&[("NO_COLOR", None)]).map(|o| o.stdout) {
        assert_console_output(&out);
        return;
    }
    let config = tracing_genai::Config::from_env_vars([
        ("OTEL_TRACES_EXPORTER", "console"),
        ("OTEL_METRICS_EXPORTER", "console"),
        ("OTEL_SERVICE_NAME", "console-test"),
    ])
    .unwrap();
    let (layer, guard) = config.build().unwrap().layer();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        otlp::emit_sample_trace();
        let failed = tracing_genai::genai_span!("chat", "openai", "gpt-4o-mini");
        failed.record_genai_error(&std::io::Error::other("rate limited"));
        drop(failed);
        println!("-- application done --");
    });
    let report = guard.shutdown().unwrap();
    assert_eq!(report.metrics_destination.as_deref(), Some("console"));
    assert_eq!(report.metrics_flushed, Some(true));
    println!("{report}");
}

fn assert_console_output(out: &str) {
    let lines: Vec<&str> = out.lines().collect();
    let has = |line: &str| lines.iter().any(|l| l.trim_end() == line);
    let position = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in\n{out}"))
    };
    // No colours through a pipe.
    assert!(!out.contains('\x1b'), "{out}");

    // The sample trace, printed when its root ended (before the application went on).
    assert!(position("handle_request  internal") < position("-- application done --"));
    assert!(out.contains("service console-test"), "{out}");
    for line in [
        r#"│  http.route = "/chat""#,
        r#"   │  gen_ai.request.model = "gpt-4o""#,
        "   │  gen_ai.request.max_tokens = 256",
        "   │  gen_ai.usage.input_tokens = 12",
        "   │  gen_ai.usage.output_tokens = 30",
        r#"   │  gen_ai.response.finish_reasons = ["stop"]"#,
        r#"         gen_ai.tool.name = "get_weather""#,
        r#"   error.type = "Error""#,
        r#"     exception.message = "rate limited""#,
    ] {
        assert!(has(line), "no line {line:?} in\n{out}");
    }
    let starts = |prefix: &str| lines.iter().find(|l| l.starts_with(prefix)).copied();
    assert!(
        starts("└─ chat gpt-4o  client  ").is_some(),
        "the chat span under the request span:\n{out}"
    );
    assert!(
        starts("   └─ execute_tool get_weather  internal  ").is_some(),
        "the tool span under the chat span:\n{out}"
    );
    // The failed call: its own trace, error status with its description, exception event.
    let failed = starts("chat gpt-4o-mini  client  ").unwrap_or_else(|| panic!("{out}"));
    assert!(failed.ends_with("  error: rate limited"), "{failed}");
    assert!(starts("   event exception at +").is_some(), "{out}");

    // The metrics table, after the application, with the GenAI metrics and their attributes.
    let table = position("── metrics (totals at shutdown)");
    assert!(table > position("-- application done --"));
    let row = |metric: &str, token_type: &str| {
        lines
            .iter()
            .find(|l| {
                let cells: Vec<_> = l.split_whitespace().collect();
                cells.first() == Some(&metric)
                    && cells.contains(&"gen_ai.request.model=gpt-4o")
                    && cells.contains(&token_type)
            })
            .unwrap_or_else(|| panic!("no {metric} {token_type} row in\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    // metric unit count sum min max attributes...
    let input = row("gen_ai.client.token.usage", "gen_ai.token.type=input");
    assert_eq!(&input[1..6], ["{token}", "1", "12", "12", "12"], "{out}");
    let output = row("gen_ai.client.token.usage", "gen_ai.token.type=output");
    assert_eq!(&output[1..6], ["{token}", "1", "30", "30", "30"], "{out}");
    assert!(
        row(
            "gen_ai.client.operation.duration",
            "gen_ai.operation.name=chat"
        )[1] == "s",
        "{out}"
    );

    // The report counts every printed span, and names both destinations.
    assert!(
        has("tracing-genai: 4 of 4 spans exported to console"),
        "{out}"
    );
}
