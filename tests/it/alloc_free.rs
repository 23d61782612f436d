//! The GenAI layer makes no heap allocation for non-LLM spans: a non-LLM span's whole life
//! (create, enter, record, event, exit, close and export) allocates exactly as many times under
//! `registry + GenAI layer(otel)` as under `registry + otel`.
//!
//! The counting global allocator of the test binary (support::alloc) counts per thread
//! (parallel tests do not interfere), and only while a thread has switched counting on.
//! Deterministic: counts, not timings.

use crate::support::alloc::allocations;
use crate::support::{Harness, attr, has};
use tracing::Dispatch;
use tracing::field::Empty;

/// A non-LLM span's whole life: create, enter, record, event, exit, close.
fn non_llm_span() {
    let span = tracing::info_span!(
        "http.request",
        http.method = "GET",
        http.route = "/chat",
        user_id = 42_u64,
        http.status = Empty
    );
    {
        let _entered = span.enter();
        span.record("http.status", 200_u64);
        tracing::info!(bytes = 512_u64, "response sent");
    }
    drop(span);
}

/// Allocations of one non-LLM span under `dispatch`, after warm-up spans (lazily built
/// caches and the callsites' registration do not count).
fn measure(dispatch: &Dispatch) -> u64 {
    tracing::dispatcher::with_default(dispatch, || {
        // 9 warm-up spans: the in-memory exporter's vector then has room for the measured
        // ones (it grows at powers of two), so its growth does not show in the counts.
        for _ in 0..9 {
            non_llm_span();
        }
        let counts: Vec<u64> = (0..3).map(|_| allocations(non_llm_span)).collect();
        // Steady state: every span of the same shape allocates the same number of times.
        assert!(
            counts.windows(2).all(|w| w[0] == w[1]),
            "allocation count not stable: {counts:?}"
        );
        counts[0]
    })
}

#[test]
fn genai_layer_adds_no_allocation_to_non_llm_spans() {
    let plain = Harness::plain();
    let plain_count = measure(plain.dispatch());

    let genai = Harness::new();
    let genai_count = measure(genai.dispatch());

    // The counter is live: tracing-opentelemetry itself allocates for a span.
    assert!(plain_count > 0, "the counting allocator saw nothing");
    assert_eq!(
        genai_count, plain_count,
        "GenAI layer + otel allocated {genai_count} times for a non-LLM span, otel alone \
         {plain_count}"
    );

    // Both exported the same spans, with the span's own fields untouched (pass-through).
    let (p, g) = (plain.spans(), genai.spans());
    assert_eq!(p.len(), 12);
    assert_eq!(g.len(), 12);
    let (p, g) = (p.last().unwrap(), g.last().unwrap());
    assert_eq!(g.name, "http.request");
    for key in ["http.method", "http.route", "user_id", "http.status"] {
        assert!(has(p, key), "{key}");
        assert_eq!(attr(g, key), attr(p, key), "{key}");
    }
    assert_eq!(g.events.len(), 1);
    assert_eq!(p.events.len(), 1);
}

#[test]
fn counter_sees_the_layer_allocating_for_llm_spans() {
    // The same measurement detects allocations the layer does make: an LLM span's typed state.
    let h = Harness::new();
    let dispatch = h.dispatch();
    let llm = || {
        let span = tracing::info_span!(
            "llm",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "gpt-4o"
        );
        drop(span.enter());
    };
    let plain_like = || {
        let span = tracing::info_span!("llm", operation = Empty, request_model = Empty);
        drop(span.enter());
    };
    let (llm_count, plain_count) = tracing::dispatcher::with_default(dispatch, || {
        llm();
        plain_like();
        (allocations(llm), allocations(plain_like))
    });
    assert!(
        llm_count > plain_count,
        "LLM span {llm_count} allocations, non-LLM {plain_count}"
    );
}
