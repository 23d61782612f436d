//! Azure OpenAI through the reqwest middleware: the model comes from the deployment path when
//! the body has none.

use crate::support::http_mock::{MockServer, Reply, fixture};
use crate::support::*;
use reqwest_middleware::ClientBuilder;
use tracing_genai::http::GenAiMiddleware;

const DEPLOYMENT_PATH: &str = "/openai/deployments/my-gpt4o/chat/completions";

async fn post(server: &MockServer, path_and_query: &str, body: &str) -> u16 {
    let host = format!("127.0.0.1:{}", server.addr.port());
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(GenAiMiddleware::new().with_provider_for_host(&host, "azure.ai.openai"))
        .build();
    let response = client
        .post(format!("{}{path_and_query}", server.url()))
        .header("content-type", "application/json")
        .header("api-key", "test")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    response.bytes().await.unwrap();
    status
}

#[test]
fn deployment_names_the_model_when_the_body_has_none() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            DEPLOYMENT_PATH,
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        post(
            &server,
            &format!("{DEPLOYMENT_PATH}?api-version=2024-10-21"),
            r#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5}"#,
        )
        .await
    });
    assert_eq!(run.value, 200);
    let span = run.span("chat my-gpt4o");
    assert_eq!(str_attr(span, "gen_ai.request.model"), "my-gpt4o");
    assert_eq!(str_attr(span, "gen_ai.provider.name"), "azure.ai.openai");
    assert_eq!(i64_attr(span, "gen_ai.request.max_tokens"), 5);
}

#[test]
fn the_body_model_wins_over_the_deployment() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        server.route(
            DEPLOYMENT_PATH,
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        post(
            &server,
            DEPLOYMENT_PATH,
            r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#,
        )
        .await
    });
    let span = run.only();
    assert_eq!(str_attr(span, "gen_ai.request.model"), "gpt-4o");
}

#[test]
fn other_paths_do_not_invent_a_model() {
    let run = Harness::new().collect_async(|| async {
        let server = MockServer::start().await;
        // `deployments` without the `openai` segment before it is not Azure's layout.
        server.route(
            "/v1/deployments/x/chat/completions",
            vec![Reply::json(200, fixture("openai_chat.json"))],
        );
        post(
            &server,
            "/v1/deployments/x/chat/completions",
            r#"{"messages":[{"role":"user","content":"Hi"}]}"#,
        )
        .await
    });
    let span = run.only();
    assert_eq!(attr(span, "gen_ai.request.model"), None);
    assert_eq!(span.name, "chat");
}
