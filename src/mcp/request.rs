//! What a span needs to know about one MCP request, read from its JSON form (`method`,
//! `params`), so every request type of every rmcp version is handled alike.

use serde_json::Value;

use crate::semconv as sc;

/// The facts of one request: method, span target, tool arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RequestFacts {
    /// `mcp.method.name`.
    pub(crate) method: String,
    /// The tool name of a `tools/call`.
    pub(crate) tool: Option<String>,
    /// The tool call's arguments (an object) of a `tools/call`.
    pub(crate) arguments: Option<Value>,
    /// `mcp.resource.uri`.
    pub(crate) resource_uri: Option<String>,
    /// The prompt name of a `prompts/get`.
    pub(crate) prompt: Option<String>,
}

impl RequestFacts {
    /// Reads the facts of a request serialised as `{"method": ..., "params": {...}}`.
    pub(crate) fn from_json(request: &Value) -> RequestFacts {
        let method = request
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("_OTHER")
            .to_string();
        let params = request.get("params");
        let text = |key: &str| {
            params
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let mut facts = RequestFacts {
            resource_uri: text("uri"),
            ..RequestFacts::default()
        };
        match method.as_str() {
            sc::MCP_METHOD_TOOLS_CALL => {
                facts.tool = text("name");
                facts.arguments = params.and_then(|p| p.get("arguments")).cloned();
            }
            sc::MCP_METHOD_PROMPTS_GET => facts.prompt = text("name"),
            _ => {}
        }
        facts.method = method;
        facts
    }

    /// Whether this is a tool call (`gen_ai.operation.name = execute_tool`).
    pub(crate) fn is_tool_call(&self) -> bool {
        self.method == sc::MCP_METHOD_TOOLS_CALL
    }

    /// The span name `{mcp.method.name} {target}`: the tool name or prompt name when there is
    /// one, else the method. Never the resource URI: the conventions say a span name SHOULD
    /// NOT include it by default (high cardinality); it is in `mcp.resource.uri`.
    pub(crate) fn span_name(&self) -> String {
        let target = match self.method.as_str() {
            sc::MCP_METHOD_TOOLS_CALL => self.tool.as_deref(),
            sc::MCP_METHOD_PROMPTS_GET => self.prompt.as_deref(),
            _ => None,
        };
        match target {
            Some(t) if !t.is_empty() => format!("{} {t}", self.method),
            _ => self.method.clone(),
        }
    }
}

/// Whether a `tools/call` result (JSON) reports a tool error (`isError: true`).
pub(crate) fn is_tool_error(result: &Value) -> bool {
    result.get("isError").and_then(Value::as_bool) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets() {
        let call = RequestFacts::from_json(&serde_json::json!({
            "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1}}
        }));
        assert_eq!(call.span_name(), "tools/call add");
        assert!(call.is_tool_call());
        assert_eq!(call.arguments, Some(serde_json::json!({"a": 1})));
        let read = RequestFacts::from_json(&serde_json::json!({
            "method": "resources/read", "params": {"uri": "file:///a.txt"}
        }));
        assert_eq!(read.span_name(), "resources/read");
        assert_eq!(read.resource_uri.as_deref(), Some("file:///a.txt"));
        let list = RequestFacts::from_json(&serde_json::json!({"method": "tools/list"}));
        assert_eq!(list.span_name(), "tools/list");
        assert!(is_tool_error(&serde_json::json!({"isError": true})));
    }
}
