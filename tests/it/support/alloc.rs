//! A counting global allocator and RSS from /proc. It counts, for the whole process, live heap
//! bytes and their peak (the bounded-memory test, tests/it/memory_bounded.rs, which runs in a
//! process of its own, and the memory bench, benches/memory.rs), and, per thread and only while
//! that thread has switched counting on, the number of allocations ([`allocations`]: the
//! allocation-free test, tests/it/alloc_free.rs, unaffected by the tests running in parallel).
//! A binary opts in with `#[global_allocator] static A: alloc::Counting = alloc::Counting;`
//! (tests/it/main.rs does, for the whole test binary).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    // `const` and without `Drop`: no lazy initialisation and no destructor, so the allocator
    // may use them on any thread at any time without allocating itself.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting live heap bytes (all threads) and allocations (per thread,
/// see [`allocations`]).
pub struct Counting;

fn add(n: isize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// One allocation (`alloc`, `alloc_zeroed` or `realloc`) on this thread.
fn bump() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counting is two relaxed atomic operations and two thread-local cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// The allocations made on this thread while `f` runs (other threads' do not count). Zero
/// unless [`Counting`] is the global allocator.
pub fn allocations(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// Heap bytes allocated and not yet freed (all threads). Zero unless [`Counting`] is the
/// global allocator.
pub fn live_bytes() -> u64 {
    LIVE.load(Ordering::Relaxed).max(0) as u64
}

/// The highest [`live_bytes`] so far.
pub fn peak_live_bytes() -> u64 {
    PEAK.load(Ordering::Relaxed).max(0) as u64
}

/// Resets the peak to the current live bytes.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// `(resident, peak resident)` of this process in bytes, from /proc/self/status
/// (`VmRSS`, `VmHWM`); `None` where /proc is not available.
pub fn rss() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    };
    Some((kib("VmRSS:")? * 1024, kib("VmHWM:")? * 1024))
}

/// `n` bytes as MiB with one decimal.
pub fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
}
