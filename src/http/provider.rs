//! Which provider (`gen_ai.provider.name`) an HTTP endpoint belongs to.

/// Provider names of well-known API hosts. Values are the registry's well-known
/// `gen_ai.provider.name` values where one exists (`openrouter` and `ollama` have none).
const KNOWN_HOSTS: [(&str, &str); 8] = [
    ("api.openai.com", "openai"),
    ("api.anthropic.com", "anthropic"),
    ("api.groq.com", "groq"),
    ("api.deepseek.com", "deepseek"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.x.ai", "x_ai"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("openrouter.ai", "openrouter"),
];

/// Ollama's default port: `localhost:11434` (or `127.0.0.1:11434`) is taken to be Ollama.
const OLLAMA_PORT: u16 = 11434;

/// Host-to-provider resolution: the user's overrides first, then the built-in table.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProviderMap {
    /// `(host, port)`: `port` `None` matches any port of `host`. Hosts are lower-case.
    overrides: Vec<(String, Option<u16>, String)>,
    default: Option<String>,
}

impl ProviderMap {
    /// Adds an override for `host` (`"my-vllm:8000"`, `"my-vllm"` or a base URL such as
    /// `"http://my-vllm:8000/v1"`). A later override of the same host replaces the earlier one.
    pub(crate) fn insert(&mut self, host: &str, provider: &str) {
        let (host, port) = split_host(host);
        self.overrides
            .retain(|(h, p, _)| !(h.as_str() == host && *p == port));
        // Host-and-port overrides are more specific: keep them first.
        let entry = (host, port, crate::normalize_provider(provider));
        if entry.1.is_some() {
            self.overrides.insert(0, entry);
        } else {
            self.overrides.push(entry);
        }
    }

    pub(crate) fn set_default(&mut self, provider: &str) {
        self.default = Some(crate::normalize_provider(provider));
    }

    /// The provider of `host:port`, or `None` for an unknown host without a default.
    pub(crate) fn resolve(&self, host: &str, port: u16) -> Option<String> {
        // URL hosts are already lower-case: no copy for them.
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(host.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(host)
        };
        let host = host.trim_end_matches('.');
        if let Some((_, _, p)) = self
            .overrides
            .iter()
            .find(|(h, p, _)| h == host && p.is_none_or(|p| p == port))
        {
            return Some(p.clone());
        }
        builtin(host, port)
            .map(str::to_string)
            .or_else(|| self.default.clone())
    }
}

/// The built-in provider of a host.
pub(crate) fn builtin(host: &str, port: u16) -> Option<&'static str> {
    if let Some((_, p)) = KNOWN_HOSTS.iter().find(|(h, _)| *h == host) {
        return Some(p);
    }
    if host.ends_with(".openai.azure.com") || host.ends_with(".cognitiveservices.azure.com") {
        return Some("azure.ai.openai");
    }
    if port == OLLAMA_PORT && matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1") {
        return Some("ollama");
    }
    None
}

/// `"http://Host:8000/v1"` -> `("host", Some(8000))`; `"host"` -> `("host", None)`.
fn split_host(spec: &str) -> (String, Option<u16>) {
    let spec = spec.trim();
    let spec = spec.split_once("://").map_or(spec, |(_, rest)| rest);
    let authority = spec.split(['/', '?', '#']).next().unwrap_or(spec);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        // `[::1]:8000`, `host:8000`; a bare IPv6 address has more than one colon.
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (h, p.parse::<u16>().ok()),
        _ => (authority, None),
    };
    (host.to_ascii_lowercase(), port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hosts() {
        assert_eq!(builtin("api.openai.com", 443), Some("openai"));
        assert_eq!(
            builtin("my-res.openai.azure.com", 443),
            Some("azure.ai.openai")
        );
        assert_eq!(builtin("api.anthropic.com", 443), Some("anthropic"));
        assert_eq!(builtin("api.x.ai", 443), Some("x_ai"));
        assert_eq!(builtin("localhost", 11434), Some("ollama"));
        assert_eq!(builtin("localhost", 8000), None);
        assert_eq!(builtin("example.com", 443), None);
    }

    #[test]
    fn overrides_and_default() {
        let mut map = ProviderMap::default();
        map.insert("http://My-vLLM:8000/v1", "vllm");
        map.insert("gateway.internal", "LiteLLM");
        assert_eq!(map.resolve("my-vllm", 8000).as_deref(), Some("vllm"));
        assert_eq!(map.resolve("my-vllm", 8001), None);
        assert_eq!(
            map.resolve("gateway.internal", 4000).as_deref(),
            Some("litellm")
        );
        assert_eq!(
            map.resolve("api.openai.com", 443).as_deref(),
            Some("openai")
        );
        map.set_default("openai");
        assert_eq!(map.resolve("unknown", 80).as_deref(), Some("openai"));
        map.insert("api.openai.com", "proxy");
        assert_eq!(map.resolve("api.openai.com", 443).as_deref(), Some("proxy"));
    }

    #[test]
    fn split_host_forms() {
        assert_eq!(split_host("a:1"), ("a".into(), Some(1)));
        assert_eq!(split_host("https://u@A.b/v1"), ("a.b".into(), None));
        assert_eq!(split_host("[::1]:8000"), ("[::1]".into(), Some(8000)));
    }
}
