//! Tests of the mapper's attribute set (kept apart: `mapper.rs` stays one concern per file).

use super::*;

#[test]
fn a_rollback_undoes_pushes_interleaved_with_other_changes() {
    let mut a = Attributes::new();
    for k in ["x", "y", "z"] {
        a.insert(k, k);
    }
    let before = a.clone();
    a.begin();
    a.insert("p1", 1_i64);
    a.insert("p2", 2_i64);
    a.remove("y");
    a.insert("p3", 3_i64);
    a.insert("x", "replaced");
    a.rename("p1", "renamed");
    a.retain(|k, _| k != "z");
    a.insert("p4", 4_i64);
    a.insert("p5", 5_i64);
    a.rollback();
    assert_eq!(a, before);
    let keys: Vec<&str> = a.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["x", "y", "z"]);
    assert_eq!(a.get("x"), Some(&Value::from("x")));
    // Only pushes: nothing logged but the count, all undone.
    a.begin();
    a.insert("q", 1_i64);
    a.insert("r", 1_i64);
    assert!(a.journal.0.as_ref().is_some_and(|l| l.changes.is_empty()));
    a.rollback();
    assert_eq!(a, before);
}
