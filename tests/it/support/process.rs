//! Tests that need a process of their own (they set environment variables, install a global
//! subscriber or global OpenTelemetry providers, or measure process-wide heap and RSS) re-run
//! themselves alone in a child process of this test binary, so they cannot race with the other
//! tests of the binary:
//!
//! ```ignore
//! #[test]
//! fn needs_a_pristine_process() {
//!     if rerun_in_child_process() {
//!         return; // the parent: the child ran the body below and passed
//!     }
//!     // the body: runs only in the child
//! }
//! ```
//!
//! The child is `current_exe() <test name> --exact --nocapture --test-threads=1` with
//! [`CHILD_VAR`] set to the test name; its output is printed in the parent (shown by libtest
//! when the test fails, or with `--nocapture`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set (to the test's name) in the environment of a child process that runs one test.
pub const CHILD_VAR: &str = "TRACING_GENAI_TEST_CHILD";

/// How long a child may run before it is killed and the test fails.
const CHILD_TIMEOUT: Duration = Duration::from_secs(600);

/// `false` in the child process (run the test body); in the parent, runs the calling test in
/// a child process, asserts that it ran and passed, and returns `true` (return at once).
pub fn rerun_in_child_process() -> bool {
    rerun_in_child_process_with(&[])
}

/// [`rerun_in_child_process`] with environment changes for the child: `(name, Some(value))`
/// sets a variable, `(name, None)` removes it.
pub fn rerun_in_child_process_with(env: &[(&str, Option<&str>)]) -> bool {
    rerun_capturing_stdout(env).is_some()
}

/// Like [`rerun_in_child_process_with`], but hands the parent the child's stdout (what the
/// test body printed, between libtest's own lines): `None` in the child (run the body),
/// `Some(stdout)` in the parent once the child passed.
pub fn rerun_capturing_stdout(env: &[(&str, Option<&str>)]) -> Option<String> {
    // libtest runs each test on a thread named after the test (`module::test_fn`).
    let thread = std::thread::current();
    let test = thread
        .name()
        .filter(|name| *name != "main")
        .unwrap_or_else(|| panic!("rerun_in_child_process must be called from a test's thread"));
    match std::env::var(CHILD_VAR) {
        Ok(child) if child == test => return None,
        Ok(child) => panic!("the child process for {child:?} runs {test:?} too"),
        Err(_) => {}
    }
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, test)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CHILD_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    print!("---- child process for {test}: stdout ----\n{out}");
    if !err.is_empty() {
        eprint!("---- child process for {test}: stderr ----\n{err}");
    }
    let status =
        status.unwrap_or_else(|| panic!("the child process for {test} ran over {CHILD_TIMEOUT:?}"));
    assert!(status.success(), "the child process for {test}: {status}");
    // Not vacuous: the child found the test (a wrong name runs 0 tests and succeeds).
    assert!(
        out.contains("test result: ok. 1 passed"),
        "the child process did not run {test}"
    );
    Some(out)
}
