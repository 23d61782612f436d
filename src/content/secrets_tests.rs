//! Tests of the secret scanner (kept apart: `secrets.rs` stays one concern per file).

use super::*;

fn scrub(s: &str) -> String {
    SecretScanner::default().scrub(s).into_owned()
}

#[test]
fn known_secrets() {
    assert_eq!(scrub("key sk-abcdefghijklmnop1234 ok"), "key [REDACTED] ok");
    assert_eq!(scrub("a sk-short b"), "a sk-short b");
    assert_eq!(
        scrub("(ghp_abcdefghijklmnopqrstuv) AIzaSyA1234567890abcdefghijklmnopqrstu"),
        "([REDACTED]) [REDACTED]"
    );
    assert_eq!(scrub("k=sk-ant-api03-abcdefghijklmnopqrst"), "k=[REDACTED]");
    assert_eq!(scrub("AKIAABCDEFGHIJKLMNOP"), "[REDACTED]");
    assert_eq!(
        scrub("Authorization: Bearer abc.def.ghijkl"),
        "Authorization: Bearer [REDACTED]"
    );
    assert_eq!(
        scrub(r#"{"password": "hunter2"}"#),
        r#"{"password": "[REDACTED]"}"#
    );
    assert_eq!(scrub("api_key=abc123&x=1"), "api_key=[REDACTED]&x=1");
    assert_eq!(scrub("max_tokens=5 task-list"), "max_tokens=5 task-list");
    assert_eq!(scrub("ask-me-anything"), "ask-me-anything");
    assert_eq!(scrub("password: [REDACTED]"), "password: [REDACTED]");
}

#[test]
fn the_prefix_pass_runs_where_a_word_starts_like_a_prefix() {
    // Long clean tokens that start with a prefix's first byte only: untouched.
    let clean = [
        "gpt-4o-2024-08-06",
        "chatcmpl-AbCdEf0123456789xyz",
        "session-hf0123456789abcdefghij",
    ];
    for s in clean {
        assert_eq!(scrub(s), s);
    }
    // A prefix at any word start, also after `-`/`_`/`.` inside a token, is found.
    assert_eq!(scrub("id-ghp_abcdefghijklmnopqrstuv"), "id-[REDACTED]");
    assert_eq!(scrub("x_hf_abcdefghijklmnopqrstuv"), "x_[REDACTED]");
    assert_eq!(scrub("a.sk-abcdefghijklmnop1234"), "a.[REDACTED]");
    // Not inside a word.
    assert_eq!(
        scrub("tasksk-abcdefghijklmnop1234"),
        "tasksk-abcdefghijklmnop1234"
    );
    // A one-byte prefix of yours (the byte pairs cannot judge it) still matches.
    let mut scanner = SecretScanner::default();
    scanner.add(SecretPattern::prefix("Z", 12));
    assert_eq!(scanner.scrub("ok Zabcdefghijklmn ok"), "ok [REDACTED] ok");
    assert_eq!(scanner.scrub("gpt-4o-2024-08-06"), "gpt-4o-2024-08-06");
}

#[test]
fn secret_names() {
    for n in [
        "api_key",
        "X-Api-Key",
        "x_api_key",
        "OPENAI_API_KEY",
        "password",
        "db.password",
        "Authorization",
        "http.request.header.authorization",
        "client_secret",
        "aws_secret_access_key",
        "access_token",
        "refresh_token",
        "cookie",
        "private_key",
    ] {
        assert!(is_secret_name(n), "{n}");
    }
    for n in [
        "model",
        "max_tokens",
        "gen_ai.usage.input_tokens",
        "tenant_id",
        "type",
    ] {
        assert!(!is_secret_name(n), "{n}");
    }
}

#[test]
fn json_stays_valid() {
    let s = SecretScanner::default();
    let mut v: Value = serde_json::from_str(
        r#"{"api_key": 12345, "q": "use sk-abcdefghijklmnopqrstuv", "nested": {"Authorization": {"x": 1}}}"#,
    )
    .unwrap();
    s.scrub_value(&mut v, 32);
    let out = serde_json::to_string(&v).unwrap();
    assert!(!out.contains("12345") && !out.contains("sk-abc"), "{out}");
    assert_eq!(v["nested"]["Authorization"], REDACTED);
}

#[test]
fn the_separator_check_agrees_with_a_plain_search_at_every_length_and_position() {
    for len in 0..40 {
        let clean = "a".repeat(len);
        assert!(!super::has_separator(&clean), "{clean:?}");
        for sep in [':', '='] {
            for pos in 0..len {
                let mut s: Vec<char> = clean.chars().collect();
                s[pos] = sep;
                let s: String = s.into_iter().collect();
                assert!(super::has_separator(&s), "{s:?}");
            }
        }
        // Bytes one off from the separators (`9`, `;`, `<`, `>`) and high bytes are not.
        let near: String = "9;<>\u{e9}".chars().cycle().take(len).collect();
        assert_eq!(
            super::has_separator(&near),
            near.contains([':', '=']),
            "{near:?}"
        );
    }
}
