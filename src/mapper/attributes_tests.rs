//! Tests of the mapper's attribute set: the journal and the attributes given at start.

use super::*;
use crate::semconv::SAMPLING_RELEVANT;

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

/// A set seeing `gen_ai.operation.name` and `gen_ai.request.model` as given at start, and how
/// many times their values were made.
fn with_given(
    made: &std::sync::atomic::AtomicUsize,
    test: impl FnOnce(&mut Attributes<'_>),
) -> (Attributes<'static>, Option<usize>) {
    use std::sync::atomic::Ordering;
    let slot = |key: &str| {
        SAMPLING_RELEVANT
            .iter()
            .position(|k| *k == key)
            .unwrap_or(0)
    };
    let keys = (1 << slot("gen_ai.operation.name")) | (1 << slot("gen_ai.request.model"));
    let values = || {
        made.fetch_add(1, Ordering::Relaxed);
        let mut v = vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.request.model", "m"),
        ];
        v.sort_by_key(|kv| slot(kv.key.as_str()));
        v
    };
    let mut own = Attributes::new();
    own.insert("x", 1_i64);
    own.insert("y", 2_i64);
    let mut a = own.with_lead(Lead::new(keys, &values));
    a.begin();
    test(&mut a);
    a.commit();
    a.detach()
}

#[test]
fn the_keys_given_at_start_are_seen_but_not_made_for_a_mapper_that_only_adds() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let made = AtomicUsize::new(0);
    let (a, led) = with_given(&made, |a| {
        assert_eq!(a.len(), 4);
        assert!(a.contains_key("gen_ai.request.model"));
        assert!(a.insert("added", true).is_none());
        assert_eq!(a.insert("x", 3_i64), Some(Value::I64(1)));
        assert!(a.remove("y").is_some());
    });
    assert_eq!(made.load(Ordering::Relaxed), 0, "values made for adds only");
    assert_eq!(led, Some(0), "nothing given at start is in the set");
    let keys: Vec<&str> = a.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["x", "added"]);
}

#[test]
fn reading_a_key_given_at_start_makes_the_values_once_and_leaves_them_out() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let made = AtomicUsize::new(0);
    let (_, led) = with_given(&made, |a| {
        assert_eq!(a.get("gen_ai.request.model"), Some(&Value::from("m")));
        assert_eq!(a.get("gen_ai.operation.name"), Some(&Value::from("chat")));
        let keys: Vec<&str> = a.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys[2..], ["x", "y"]);
        assert_eq!(keys.len(), 4);
        let mut seen = 0;
        a.retain(|_, _| {
            seen += 1;
            true
        });
        assert_eq!(seen, 4, "retain offers each attribute once");
    });
    assert_eq!(made.load(Ordering::Relaxed), 1);
    assert_eq!(led, Some(0));
}

#[test]
fn changing_a_key_given_at_start_moves_them_all_in_front_and_a_rollback_keeps_the_rest() {
    use std::sync::atomic::AtomicUsize;
    let made = AtomicUsize::new(0);
    let (a, led) = with_given(&made, |a| {
        a.insert("p", 1_i64);
        a.remove("x");
        a.insert("gen_ai.request.model", "changed");
    });
    assert_eq!(led, Some(2));
    assert!(
        a.iter()
            .take(2)
            .any(|kv| kv.value == Value::from("changed")),
        "the change is seen in front"
    );
    assert_eq!(a.get("gen_ai.request.model"), Some(&Value::from("changed")));
    let keys: Vec<&str> = a.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys[2..], ["y", "p"]);

    // The same, rolled back: the given keys stay in front with their values, the rest as was.
    let slot = |key: &str| {
        SAMPLING_RELEVANT
            .iter()
            .position(|k| *k == key)
            .unwrap_or(0)
    };
    let values = || {
        let mut v = vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.request.model", "m"),
        ];
        v.sort_by_key(|kv| slot(kv.key.as_str()));
        v
    };
    let keys = (1 << slot("gen_ai.operation.name")) | (1 << slot("gen_ai.request.model"));
    let mut own = Attributes::new();
    own.insert("x", 1_i64);
    own.insert("y", 2_i64);
    let mut a = own.with_lead(Lead::new(keys, &values));
    let before: Vec<KeyValue> = a.iter().cloned().collect();
    a.begin();
    a.insert("p", 1_i64);
    a.remove("x");
    a.retain(|k, _| k != "gen_ai.operation.name");
    a.insert("q", 1_i64);
    a.rollback();
    assert_eq!(a.iter().cloned().collect::<Vec<_>>(), before);
    assert_eq!(a.detach().1, Some(2));
}

#[test]
fn a_mapper_that_replaces_the_set_leaves_the_given_keys_unplaced() {
    use std::sync::atomic::AtomicUsize;
    let made = AtomicUsize::new(0);
    let (_, led) = with_given(&made, |a| *a = Attributes::new());
    assert_eq!(led, None);
}

#[test]
fn a_set_looking_at_a_span_is_still_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Attributes<'_>>();
}
