//! The HTTP fixtures (tests/data/http) are well formed and documented: every `.json` is a JSON
//! object, every `.sse` is a blank-line-terminated event stream whose events carry JSON objects
//! (or `[DONE]`), and the folder's README lists exactly the files present. The parsers' own
//! fixture tests are unit tests in src/http/ (they need crate-private items).

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/http")
}

fn fixtures() -> BTreeSet<String> {
    std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "README.md")
        .collect()
}

#[test]
fn every_fixture_is_well_formed() {
    let names = fixtures();
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(dir().join(name)).unwrap();
        if name.ends_with(".json") {
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(v.is_object(), "{name}");
        } else if name.ends_with(".sse") {
            assert!(text.ends_with("\n\n"), "{name}: last event not terminated");
            let mut events = 0;
            for block in text.split("\n\n").filter(|b| !b.is_empty()) {
                let mut data = None;
                for line in block.lines() {
                    match line.split_once(": ") {
                        Some(("event", _)) => {}
                        Some(("data", d)) => data = Some(d),
                        _ => panic!("{name}: unexpected line {line:?}"),
                    }
                }
                let data = data.unwrap_or_else(|| panic!("{name}: event without data"));
                if data != "[DONE]" {
                    let v: Value = serde_json::from_str(data)
                        .unwrap_or_else(|e| panic!("{name}: {e}: {data}"));
                    assert!(v.is_object(), "{name}");
                }
                events += 1;
            }
            assert!(events >= 3, "{name}");
        } else {
            panic!("unexpected fixture {name}");
        }
    }
}

#[test]
fn readme_lists_exactly_the_fixtures() {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    let listed: BTreeSet<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|n| n.ends_with(".json") || n.ends_with(".sse"))
        .map(str::to_string)
        .collect();
    assert_eq!(listed, fixtures());
}
