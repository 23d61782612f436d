//! Memory stays bounded when the collector is down: the batch queue holds at most
//! `OTEL_BSP_MAX_QUEUE_SIZE` spans and drops (and counts) the rest, and the layer keeps no
//! per-span state after a span closes. Measured with a counting global allocator (net live heap
//! bytes, exact) and RSS. The release-mode numbers over 1,000,000 spans: benches/memory.rs.
//! Live heap and RSS are process-wide: the test re-runs itself alone in a child process of the
//! test binary, whose global allocator (tests/it/main.rs) is the counting one.

use std::time::Duration;

use crate::support;
use crate::support::alloc;
use crate::support::faults::{self, pipeline};
use crate::support::process::rerun_in_child_process;
use tracing_genai::Config;

const WARM_UP: u64 = 5_000;
const TOTAL: u64 = 30_000;
const STEP: u64 = 5_000;
/// Allowed growth of live heap bytes after warm-up. The default queue (2048 spans of a few KiB)
/// is full by the end of warm-up; what remains is allocator noise and the exporter's retry
/// state. A leak of 400 bytes per span would exceed it (25,000 spans after warm-up), and so would a
/// queue without a bound (checked by hand with `with_max_queue_size(1_000_000)`: +28 MiB over 25,000 spans).
const LIVE_GROWTH_BOUND: u64 = 8 * 1024 * 1024;
/// Allowed RSS growth after warm-up (generous: RSS also counts fragmentation and stacks).
const RSS_GROWTH_BOUND: u64 = 64 * 1024 * 1024;

#[test]
fn memory_is_bounded_when_the_collector_is_down() {
    if rerun_in_child_process() {
        return;
    }
    let addr = support::closed_port();
    let timeout = Duration::from_secs(3);
    let (dispatch, guard) = pipeline(
        Config::default()
            .with_endpoint(format!("http://{addr}"))
            .with_timeout(Duration::from_secs(2))
            .with_shutdown_timeout(timeout),
    );
    faults::emit(&dispatch, WARM_UP, 0);
    let live0 = alloc::live_bytes();
    let rss0 = alloc::rss().map(|(rss, _)| rss);
    let mut max_live = live0;
    let mut max_rss = rss0;
    let mut emitted = WARM_UP;
    while emitted < TOTAL {
        faults::emit(&dispatch, STEP, emitted);
        emitted += STEP;
        max_live = max_live.max(alloc::live_bytes());
        max_rss = max_rss.max(alloc::rss().map(|(rss, _)| rss));
        eprintln!(
            "{emitted} spans: live heap {}, rss {}",
            alloc::mib(alloc::live_bytes()),
            alloc::mib(alloc::rss().map(|(r, _)| r).unwrap_or_default())
        );
    }
    let live_growth = max_live.saturating_sub(live0);
    assert!(
        live_growth < LIVE_GROWTH_BOUND,
        "live heap grew by {} after warm-up ({} -> {})",
        alloc::mib(live_growth),
        alloc::mib(live0),
        alloc::mib(max_live)
    );
    if let (Some(rss0), Some(max_rss)) = (rss0, max_rss) {
        let growth = max_rss.saturating_sub(rss0);
        assert!(
            growth < RSS_GROWTH_BOUND,
            "RSS grew by {} after warm-up",
            alloc::mib(growth)
        );
    }

    let out = faults::shutdown(&guard, timeout);
    let r = &out.report;
    assert_eq!((r.ended, r.exported), (TOTAL, 0), "{r}");
    // The queue overflowed: most spans were dropped at once, not buffered.
    assert!(r.dropped > TOTAL / 2, "{r}");
}
