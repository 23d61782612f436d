//! Edge cases of the typed views: what the `serde_json::Value` parsing they replaced did with
//! escapes, repeated members, wrong types, `null` and missing members, kept exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::super::api::Api;
use crate::ErrorInfo;

fn request(body: &str) -> super::super::model::ParsedRequest {
    Api::OpenAiChat.parse_request(body.as_bytes(), false)
}

fn response(api: Api, body: &str) -> super::super::model::ParsedResponse {
    api.parse_response(body.as_bytes(), false)
}

fn stream(api: Api, body: &str) -> super::super::model::ParsedResponse {
    let mut s = api.stream_parser(false);
    s.feed(body.as_bytes());
    s.finish()
}

#[test]
fn escaped_strings_are_decoded() {
    // An escaped key still names the member; escaped values are unescaped (owned, not
    // borrowed from the body).
    let p = request(r#"{"mod\u0065l": "gpt-\u00e9\n\"x\"", "service_tier": "fl\u0065x"}"#);
    assert_eq!(p.request.model.as_deref(), Some("gpt-é\n\"x\""));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let p = response(
        Api::OpenAiChat,
        r#"{"id": "a\/b", "choices": [{"finish_reason": "st\u006fp"}]}"#,
    );
    assert_eq!(p.response.id.as_deref(), Some("a/b"));
    assert_eq!(p.response.finish_reasons, Some(vec!["stop".to_string()]));
    // A JSON string that holds JSON is a string, not an object.
    let p = response(Api::OpenAiChat, r#"{"usage": "{\"prompt_tokens\": 3}"}"#);
    assert_eq!(p.usage, crate::Usage::default());
}

#[test]
fn a_repeated_member_replaces_the_earlier_one() {
    let p = request(r#"{"model": "a", "temperature": 0.5, "model": "b", "temperature": null}"#);
    assert_eq!(p.request.model.as_deref(), Some("b"));
    assert_eq!(p.request.temperature, None);
    // The whole object is replaced, not merged.
    let p = response(
        Api::OpenAiChat,
        r#"{"usage": {"prompt_tokens": 1}, "usage": {"completion_tokens": 2}}"#,
    );
    assert_eq!(
        (p.usage.input_tokens, p.usage.output_tokens),
        (None, Some(2))
    );
}

#[test]
fn numbers_of_the_wrong_kind() {
    let p = request(
        r#"{"seed": 7.0, "n": 2.5, "top_k": -3, "max_completion_tokens": "5", "max_tokens": 9,
            "temperature": 1e300, "top_p": "0.5", "frequency_penalty": true}"#,
    );
    let r = &p.request;
    assert_eq!(r.seed, Some(7));
    assert_eq!(r.choice_count, None);
    assert_eq!(r.top_k, Some(-3));
    // The first of the max-token members that is an integer wins; the string is diagnosed.
    assert_eq!(r.max_tokens, Some(9));
    assert_eq!(r.temperature, Some(1e300));
    assert_eq!((r.top_p, r.frequency_penalty), (None, None));
    assert_eq!(
        p.diagnostics,
        [
            "`top_p` is not a number",
            "`frequency_penalty` is not a number",
            "`n` is not an integer",
            "`max_completion_tokens` is not an integer",
        ]
    );
    // Token counts: integers only (an integral float is not one), non-negative.
    let p = response(
        Api::OpenAiChat,
        r#"{"usage": {"prompt_tokens": 3.0, "completion_tokens": "4", "input_tokens": 5,
            "output_tokens": -1, "prompt_tokens_details": {"cached_tokens": 18446744073709551615}}}"#,
    );
    assert_eq!(p.usage.input_tokens, Some(5));
    assert_eq!(p.usage.output_tokens, None);
    assert_eq!(p.usage.cache_read_input_tokens, Some(u64::MAX));
    assert_eq!(
        p.diagnostics,
        [
            "usage `prompt_tokens` is not a non-negative integer",
            "usage `completion_tokens` is not a number",
            "usage `output_tokens` is not a non-negative integer",
        ]
    );
}

#[test]
fn null_and_missing_members() {
    let p = request(r#"{"model": null, "stop": null, "stream": null, "reasoning": null}"#);
    assert_eq!(p.request, crate::Request::default());
    assert!(p.diagnostics.is_empty());
    let p = response(
        Api::OpenAiChat,
        r#"{"id": null, "choices": [null, 1, {"index": null, "finish_reason": null}, {}],
            "usage": null, "error": null}"#,
    );
    assert!(p.response.id.is_none() && p.error.is_none());
    assert_eq!(p.response.finish_reasons, None);
    let p = response(Api::OpenAiChat, "{}");
    assert_eq!(p, Default::default());
    // Positions count the object choices only (the first object is index 0, as is the
    // second, kept after it); an empty reason is a missing one, `error`.
    let p = response(
        Api::OpenAiChat,
        r#"{"choices": [7, {"finish_reason": "length"}, {"index": 0, "finish_reason": ""}]}"#,
    );
    assert_eq!(
        p.response.finish_reasons,
        Some(vec!["length".to_string(), "error".to_string()])
    );
}

#[test]
fn errors_of_every_shape() {
    let e = |body: &str| response(Api::OpenAiChat, body).error;
    assert_eq!(
        e(r#"{"error": "upstream \"down\""}"#),
        Some(ErrorInfo {
            error_type: "_OTHER".to_string(),
            message: Some("upstream \"down\"".to_string()),
        })
    );
    assert_eq!(
        e(r#"{"error": {"code": 500, "type": "error", "message": ""}}"#),
        Some(ErrorInfo {
            error_type: "_OTHER".to_string(),
            message: None,
        })
    );
    assert_eq!(e(r#"{"error": [1]}"#), None);
    assert_eq!(e(r#"{"error": false}"#), None);
}

#[test]
fn streams_with_odd_events() {
    // Escapes, a repeated member, a non-object choice, `null`s and an event that is not an
    // object: the same accumulation as a `Value` tree gave.
    let body = concat!(
        "data: {\"id\":\"c\\u0031\",\"model\":\"m\",\"model\":\"m2\",\"choices\":[3,{\"index\":1,\"finish_reason\":null}]}\n\n",
        "data: [1,2]\n\n",
        "data: {\"choices\":[{\"index\":1,\"finish_reason\":\"st\\u006fp\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1.5}}\n\n",
        "data: [DONE]\n\n",
    );
    let p = stream(Api::OpenAiChat, body);
    assert_eq!(p.response.id.as_deref(), Some("c1"));
    assert_eq!(p.response.model.as_deref(), Some("m2"));
    assert_eq!(p.response.finish_reasons, Some(vec!["stop".to_string()]));
    assert_eq!(p.usage.input_tokens, Some(2));
    assert_eq!(
        p.diagnostics,
        [
            "stream event data is not a JSON object",
            "usage `completion_tokens` is not a non-negative integer",
        ]
    );
    let body = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\\u0031\",\"usage\":{\"input_tokens\":\"3\"}}}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let p = stream(Api::AnthropicMessages, body);
    assert_eq!(p.response.id.as_deref(), Some("m1"));
    assert_eq!(p.usage.output_tokens, Some(4));
    assert_eq!(p.usage.input_tokens, None);
    assert_eq!(p.diagnostics, ["usage `input_tokens` is not a number"]);
}

#[test]
fn bodies_that_are_not_json() {
    for (body, diagnostic) in [
        (&b"{\"model\": \"\xff\"}"[..], "request body is not JSON"),
        (b"{\"model\": \"a\"", "request body is not JSON"),
        (b"{\"model\": \"a\"} x", "request body is not JSON"),
        (b" \n ", "request body is empty"),
        (b"\"model\"", "request body is JSON but not an object"),
    ] {
        let p = Api::OpenAiChat.parse_request(body, false);
        assert_eq!(p.diagnostics, [diagnostic], "{body:?}");
        assert_eq!(p.request, crate::Request::default());
    }
}

#[test]
fn content_capture_reads_the_same_attributes() {
    // With capture the attributes come from the same views; the content from a `Value`.
    let body = br#"{"model":"gpt","messages":[{"role":"user","content":"hi \"you\""}],"n":"x"}"#;
    let off = Api::OpenAiChat.parse_request(body, false);
    let on = Api::OpenAiChat.parse_request(body, true);
    assert_eq!((on.request, on.diagnostics), (off.request, off.diagnostics));
    assert_eq!(
        on.input_messages,
        vec![crate::content::ChatMessage::user("hi \"you\"")]
    );
}

#[test]
fn unread_members_are_only_checked_for_syntax() {
    // serde_json does not check the range of a skipped number, the surrogates of a skipped
    // string, or the depth of a skipped value: the members the span reads are still read.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for unread in ["1e400", r#""\ud800""#, deep.as_str()] {
        let body = format!(r#"{{"model": "m", "user": {unread}}}"#);
        let p = request(&body);
        assert_eq!(p.request.model.as_deref(), Some("m"), "{unread}");
        assert!(p.diagnostics.is_empty(), "{unread}: {:?}", p.diagnostics);
        // In a member that is read, the number and the string make the body not JSON, as
        // with a `Value`; the depth of what is skipped inside it is still not checked.
        let body = format!(r#"{{"model": "m", "temperature": {unread}}}"#);
        let want = if unread == deep {
            "`temperature` is not a number"
        } else {
            "request body is not JSON"
        };
        assert_eq!(request(&body).diagnostics, [want], "{unread}");
    }
}
