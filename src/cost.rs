//! Cost: a user-supplied price table turns a call's token usage into money.
//!
//! Prices are given **per `per_tokens` tokens** (default 1,000,000, the unit provider price
//! lists use) in the table's currency (default `USD`; any label works). Arithmetic follows the
//! semantic conventions, where cached tokens are part of `gen_ai.usage.input_tokens` and
//! reasoning tokens are part of `gen_ai.usage.output_tokens`:
//!
//! ```text
//! uncached_input = input - cache_read - cache_creation        (never below 0)
//! cost = uncached_input * input_price
//!      + cache_read     * cache_read_price   (default: input_price)
//!      + cache_creation * cache_write_price  (default: input_price)
//!      + (output - reasoning) * output_price
//!      + reasoning      * reasoning_price    (default: output_price)
//! ```
//! all divided by `per_tokens`. A model the table does not know costs nothing: no cost is
//! exported, the call is counted ([`PriceTable::unpriced_calls`], the
//! `tracing_genai.client.unpriced_calls` metric) and the span gets a diagnostic. Prices are
//! never guessed.
//!
//! Model names match exactly, or by prefix when the table entry ends in `*`
//! (`"gpt-4o*"` matches `gpt-4o-2024-08-06`); exact beats prefix, the longest prefix wins. The
//! response model is tried first, then the request model.
//!
//! # JSON format
//!
//! ```
//! let table = tracing_genai::cost::PriceTable::from_json_str(r#"{
//!     "currency": "USD",
//!     "per_tokens": 1000000,
//!     "models": {
//!         "gpt-4o*": { "input": 2.5, "output": 10.0, "cache_read": 1.25 },
//!         "o3":      { "input": 2.0, "output": 8.0, "reasoning": 8.0 }
//!     }
//! }"#).unwrap();
//! assert_eq!(table.currency(), "USD");
//! ```
//!
//! TOML is not supported: no `toml` crate is in the dependency tree and one was not worth
//! adding for a file users can write as JSON.
//!
//! # Cost alerts
//!
//! Act when one call, or one rolled-up agent or workflow run, costs more than a threshold.
//!
//! Give the layer a [`PriceTable`] and one or more alerts with
//! [`GenAiLayer::with_cost_alert`](crate::GenAiLayer::with_cost_alert). When a GenAI span
//! closes and its cost is known (the same number exported as `gen_ai.usage.cost`), each alert
//! compares it with its [`CostThreshold`]:
//!
//! - a priced call (`chat`, `embeddings`, ...) with its [`per_call`](CostThreshold::per_call)
//!   threshold;
//! - an `invoke_agent` or `invoke_workflow` span, whose cost is the roll-up of everything under
//!   it, with its [`per_run`](CostThreshold::per_run) threshold (nested runs are each checked
//!   against their own total).
//!
//! A cost **strictly above** the threshold raises one alert per span and alert:
//!
//! 1. a `tracing` event named `tracing_genai.cost.threshold_exceeded`
//!    ([`EVENT_COST_THRESHOLD_EXCEEDED`](crate::semconv::EVENT_COST_THRESHOLD_EXCEEDED)),
//!    target `tracing_genai::cost`, level WARN, with the fields `trace_id`, `span_id` (hex),
//!    `span_name`, `gen_ai.operation.name`, `gen_ai.provider.name`, `model`,
//!    `gen_ai.agent.name`, `gen_ai.usage.cost`, `threshold`, `currency` and `rolled_up`. It is
//!    a root event (no parent span): it changes no exported span. The span's OpenTelemetry
//!    context is current while it is emitted, so a log bridge
//!    (`opentelemetry-appender-tracing`'s `OpenTelemetryTracingBridge`) makes it a log
//!    record with the event name and that span's trace and span ids; a `fmt` layer prints it. It is emitted after the span's attributes were written,
//!    with no lock of the layer held;
//! 2. then the alert's callback ([`OnCostExceeded`]) with a [`CostExceeded`] and the span's
//!    typed state. `()` is the no-op callback, closures `Fn(&CostExceeded, &GenAiSpan)` are
//!    callbacks. A panicking callback is isolated like a
//!    mapper: nothing else changes, the panic is counted
//!    ([`DiagnosticsSnapshot::cost_alert_panics`](crate::DiagnosticsSnapshot::cost_alert_panics))
//!    and reported once per alert as a WARN event of target `tracing_genai`.
//!
//! Every alert raised is counted in
//! [`DiagnosticsSnapshot::cost_alerts`](crate::DiagnosticsSnapshot::cost_alerts). A span
//! without a cost (no price table, a model the table does not know, no usage) raises nothing.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_genai::cost::{CostExceeded, CostThreshold, ModelPrice, PriceTable};
//! use tracing_genai::{GenAiSpan, GenAiSpanExt};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&seen);
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
//! let layer = tracing_genai::layer()
//!     .with_tracer(provider.tracer("app"))
//!     .with_prices(PriceTable::new("USD").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0)))
//!     // one call above $0.01, or one agent/workflow run above $0.50
//!     .with_cost_alert(
//!         CostThreshold::per_call(0.01).with_per_run(0.50),
//!         move |alert: &CostExceeded, _: &GenAiSpan| sink.lock().unwrap().push(alert.cost),
//!     );
//! tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
//!     let span = tracing_genai::genai_span!("chat", "openai", "gpt-4o");
//!     span.record_token_usage(1_000, 2_000); // $0.0225
//! });
//! assert_eq!(seen.lock().unwrap().len(), 1);
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::model::Usage;

mod alert;

pub use alert::{CostExceeded, CostThreshold, OnCostExceeded};

/// Prices of one model, per [`PriceTable::per_tokens`] tokens.
///
/// ```
/// let price = tracing_genai::cost::ModelPrice::new(3.0, 15.0).with_cache_read(0.3).with_cache_write(3.75);
/// assert_eq!(price.cache_read, Some(0.3));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ModelPrice {
    /// Price of uncached input tokens.
    pub input: f64,
    /// Price of output tokens (including reasoning tokens unless `reasoning` is set).
    pub output: f64,
    /// Price of input tokens read from the provider's cache (default: `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Price of input tokens written to the provider's cache (default: `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    /// Price of reasoning output tokens (default: `output`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<f64>,
}

impl ModelPrice {
    /// Input and output prices.
    ///
    /// ```
    /// let price = tracing_genai::cost::ModelPrice::new(2.5, 10.0);
    /// assert_eq!(price.output, 10.0);
    /// ```
    pub fn new(input: f64, output: f64) -> Self {
        ModelPrice {
            input,
            output,
            ..Default::default()
        }
    }

    /// Sets the cache-read price.
    ///
    /// ```
    /// let price = tracing_genai::cost::ModelPrice::new(2.5, 10.0).with_cache_read(1.25);
    /// # assert_eq!(price.cache_read, Some(1.25));
    /// ```
    pub fn with_cache_read(mut self, price: f64) -> Self {
        self.cache_read = Some(price);
        self
    }

    /// Sets the cache-write price.
    ///
    /// ```
    /// let price = tracing_genai::cost::ModelPrice::new(3.0, 15.0).with_cache_write(3.75);
    /// # assert_eq!(price.cache_write, Some(3.75));
    /// ```
    pub fn with_cache_write(mut self, price: f64) -> Self {
        self.cache_write = Some(price);
        self
    }

    /// Sets the reasoning-token price.
    ///
    /// ```
    /// let price = tracing_genai::cost::ModelPrice::new(2.0, 8.0).with_reasoning(8.0);
    /// # assert_eq!(price.reasoning, Some(8.0));
    /// ```
    pub fn with_reasoning(mut self, price: f64) -> Self {
        self.reasoning = Some(price);
        self
    }

    fn validate(&self, model: &str) -> Result<(), PriceTableError> {
        let all = [
            Some(self.input),
            Some(self.output),
            self.cache_read,
            self.cache_write,
            self.reasoning,
        ];
        if all.into_iter().flatten().all(|p| p.is_finite() && p >= 0.0) {
            Ok(())
        } else {
            Err(PriceTableError::Invalid(format!(
                "model {model:?}: prices must be finite and non-negative"
            )))
        }
    }
}

/// Why a price table could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PriceTableError {
    /// The file could not be read.
    #[error("cannot read price table: {0}")]
    Io(#[from] std::io::Error),
    /// The JSON is malformed or has unknown keys.
    #[error("invalid price table JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A price or setting is out of range.
    #[error("invalid price table: {0}")]
    Invalid(String),
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    per_tokens: Option<f64>,
    #[serde(default)]
    models: HashMap<String, ModelPrice>,
}

/// Model prices; see the [module docs](self) for units, matching and arithmetic.
///
/// ```
/// use tracing_genai::{cost::{ModelPrice, PriceTable}, Usage};
///
/// let table = PriceTable::new("USD").with_model("gpt-4o*", ModelPrice::new(2.5, 10.0));
/// let mut usage = Usage::default();
/// usage.input_tokens = Some(1_000_000);
/// usage.output_tokens = Some(100_000);
/// assert_eq!(table.cost(&usage, &["gpt-4o-mini"]), Some(3.5));
/// assert_eq!(table.cost(&usage, &["claude"]), None);
/// ```
#[derive(Debug)]
pub struct PriceTable {
    currency: String,
    per_tokens: f64,
    exact: HashMap<String, ModelPrice>,
    /// `(prefix, price)`, longest prefix first.
    prefixes: Vec<(String, ModelPrice)>,
    unpriced: AtomicU64,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable::new("USD")
    }
}

impl PriceTable {
    /// An empty table in `currency`, prices per 1,000,000 tokens.
    ///
    /// ```
    /// let table = tracing_genai::cost::PriceTable::new("EUR");
    /// assert_eq!(table.per_tokens(), 1_000_000.0);
    /// ```
    pub fn new(currency: impl Into<String>) -> Self {
        PriceTable {
            currency: currency.into(),
            per_tokens: 1_000_000.0,
            exact: HashMap::new(),
            prefixes: Vec::new(),
            unpriced: AtomicU64::new(0),
        }
    }

    /// Sets the number of tokens the prices are for (e.g. `1000.0` for per-1K prices).
    /// Values that are not finite and positive are ignored.
    ///
    /// ```
    /// let table = tracing_genai::cost::PriceTable::new("USD").per_tokens_of(1000.0);
    /// assert_eq!(table.per_tokens(), 1000.0);
    /// ```
    pub fn per_tokens_of(mut self, tokens: f64) -> Self {
        if tokens.is_finite() && tokens > 0.0 {
            self.per_tokens = tokens;
        }
        self
    }

    /// Adds a model; a name ending in `*` is a prefix.
    ///
    /// ```
    /// use tracing_genai::cost::{ModelPrice, PriceTable};
    /// let table = PriceTable::new("USD").with_model("claude-sonnet-4*", ModelPrice::new(3.0, 15.0));
    /// assert!(table.price_of("claude-sonnet-4-5").is_some());
    /// ```
    pub fn with_model(mut self, model: impl Into<String>, price: ModelPrice) -> Self {
        let model = model.into();
        match model.strip_suffix('*') {
            Some(prefix) => {
                self.prefixes.retain(|(p, _)| p != prefix);
                self.prefixes.push((prefix.to_string(), price));
                self.prefixes
                    .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
            }
            None => {
                self.exact.insert(model, price);
            }
        }
        self
    }

    /// Parses a table from JSON (see the [module docs](self) for the format).
    ///
    /// ```
    /// let t = tracing_genai::cost::PriceTable::from_json_str(r#"{"models": {"m": {"input": 1, "output": 2}}}"#).unwrap();
    /// assert!(t.price_of("m").is_some());
    /// assert!(tracing_genai::cost::PriceTable::from_json_str(r#"{"models": {"m": {"input": -1, "output": 2}}}"#).is_err());
    /// ```
    pub fn from_json_str(json: &str) -> Result<Self, PriceTableError> {
        let file: PriceFile = serde_json::from_str(json)?;
        let mut table = PriceTable::new(file.currency.unwrap_or_else(|| "USD".to_string()));
        if let Some(n) = file.per_tokens {
            if !(n.is_finite() && n > 0.0) {
                return Err(PriceTableError::Invalid(format!(
                    "per_tokens must be positive, got {n}"
                )));
            }
            table.per_tokens = n;
        }
        for (model, price) in file.models {
            price.validate(&model)?;
            table = table.with_model(model, price);
        }
        Ok(table)
    }

    /// Reads a JSON table from a file.
    ///
    /// ```no_run
    /// let table = tracing_genai::cost::PriceTable::from_json_file("prices.json")?;
    /// # Ok::<(), tracing_genai::cost::PriceTableError>(())
    /// ```
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, PriceTableError> {
        let text = std::fs::read_to_string(path)?;
        PriceTable::from_json_str(&text)
    }

    /// The currency label.
    ///
    /// ```
    /// assert_eq!(tracing_genai::cost::PriceTable::new("EUR").currency(), "EUR");
    /// ```
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// How many tokens the prices are for.
    ///
    /// ```
    /// assert_eq!(tracing_genai::cost::PriceTable::default().per_tokens(), 1e6);
    /// ```
    pub fn per_tokens(&self) -> f64 {
        self.per_tokens
    }

    /// The price of `model`: exact match, else the longest matching prefix.
    ///
    /// ```
    /// use tracing_genai::cost::{ModelPrice, PriceTable};
    /// let t = PriceTable::new("USD")
    ///     .with_model("gpt-4o*", ModelPrice::new(2.5, 10.0))
    ///     .with_model("gpt-4o-mini*", ModelPrice::new(0.15, 0.6));
    /// assert_eq!(t.price_of("gpt-4o-mini-2024").unwrap().input, 0.15);
    /// assert_eq!(t.price_of("gpt-4o-2024").unwrap().input, 2.5);
    /// ```
    pub fn price_of(&self, model: &str) -> Option<&ModelPrice> {
        self.exact.get(model).or_else(|| {
            self.prefixes
                .iter()
                .find(|(p, _)| model.starts_with(p.as_str()))
                .map(|(_, price)| price)
        })
    }

    /// The cost of `usage` for the first of `models` the table knows, or `None`.
    ///
    /// ```
    /// use tracing_genai::{cost::{ModelPrice, PriceTable}, Usage};
    /// let t = PriceTable::new("USD").with_model("m", ModelPrice::new(1.0, 2.0).with_cache_read(0.5));
    /// let mut u = Usage::default();
    /// u.input_tokens = Some(1_000_000);          // of which 400k cached
    /// u.cache_read_input_tokens = Some(400_000);
    /// assert_eq!(t.cost(&u, &["m"]), Some(0.6 + 0.2));
    /// ```
    pub fn cost(&self, usage: &Usage, models: &[&str]) -> Option<f64> {
        let price = models.iter().find_map(|m| self.price_of(m))?;
        Some(compute(price, usage) / self.per_tokens)
    }

    /// Calls whose model this table did not know, since it was created.
    ///
    /// ```
    /// assert_eq!(tracing_genai::cost::PriceTable::default().unpriced_calls(), 0);
    /// ```
    pub fn unpriced_calls(&self) -> u64 {
        self.unpriced.load(Ordering::Relaxed)
    }

    pub(crate) fn count_unpriced(&self) {
        self.unpriced.fetch_add(1, Ordering::Relaxed);
    }
}

fn compute(price: &ModelPrice, usage: &Usage) -> f64 {
    let n = |v: Option<u64>| v.unwrap_or(0) as f64;
    let cache_read = n(usage.cache_read_input_tokens);
    let cache_write = n(usage.cache_creation_input_tokens);
    let uncached = (n(usage.input_tokens) - cache_read - cache_write).max(0.0);
    let output = n(usage.output_tokens);
    let reasoning = n(usage.reasoning_output_tokens).min(output);
    uncached * price.input
        + cache_read * price.cache_read.unwrap_or(price.input)
        + cache_write * price.cache_write.unwrap_or(price.input)
        + (output - reasoning) * price.output
        + reasoning * price.reasoning.unwrap_or(price.output)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn usage(input: u64, output: u64, cr: u64, cw: u64, reasoning: u64) -> Usage {
        Usage {
            input_tokens: Some(input),
            output_tokens: Some(output),
            cache_read_input_tokens: Some(cr),
            cache_creation_input_tokens: Some(cw),
            reasoning_output_tokens: Some(reasoning),
            ..Usage::default()
        }
    }

    #[test]
    fn cache_and_reasoning_arithmetic() {
        let price = ModelPrice::new(3.0, 15.0)
            .with_cache_read(0.3)
            .with_cache_write(3.75)
            .with_reasoning(20.0);
        let t = PriceTable::new("USD").with_model("claude", price);
        // 10k input of which 6k cache read, 1k cache write => 3k uncached.
        // 2k output of which 500 reasoning.
        let u = usage(10_000, 2_000, 6_000, 1_000, 500);
        let expected =
            (3_000.0 * 3.0 + 6_000.0 * 0.3 + 1_000.0 * 3.75 + 1_500.0 * 15.0 + 500.0 * 20.0) / 1e6;
        let got = t.cost(&u, &["claude"]).unwrap();
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    }

    #[test]
    fn defaults_fall_back_to_input_and_output_prices() {
        let t = PriceTable::new("USD")
            .per_tokens_of(1000.0)
            .with_model("m", ModelPrice::new(1.0, 2.0));
        let u = usage(100, 10, 40, 10, 5);
        // every input token at 1.0, every output token at 2.0, per 1000 tokens
        assert!((t.cost(&u, &["m"]).unwrap() - (100.0 + 20.0) / 1000.0).abs() < 1e-12);
    }

    #[test]
    fn inconsistent_usage_never_goes_negative() {
        let t = PriceTable::new("USD").with_model("m", ModelPrice::new(1.0, 1.0));
        let u = usage(10, 5, 50, 0, 99);
        let cost = t.cost(&u, &["m"]).unwrap();
        assert!(cost >= 0.0);
        assert!((cost - (50.0 + 5.0) / 1e6).abs() < 1e-15);
    }

    #[test]
    fn matching_rules() {
        let t = PriceTable::from_json_str(
            r#"{"currency":"EUR","models":{
                "gpt-4o":{"input":5,"output":15},
                "gpt-4o*":{"input":2.5,"output":10},
                "gpt-4o-mini*":{"input":0.15,"output":0.6}}}"#,
        )
        .unwrap();
        assert_eq!(t.currency(), "EUR");
        assert_eq!(t.price_of("gpt-4o").unwrap().input, 5.0);
        assert_eq!(t.price_of("gpt-4o-2024-08-06").unwrap().input, 2.5);
        assert_eq!(t.price_of("gpt-4o-mini").unwrap().input, 0.15);
        assert!(t.price_of("gpt-4").is_none());
        // response model tried first, request model as fallback
        let u = usage(1_000_000, 0, 0, 0, 0);
        assert_eq!(t.cost(&u, &["unknown", "gpt-4o"]), Some(5.0));
    }

    #[test]
    fn rejects_bad_files() {
        assert!(PriceTable::from_json_str("{").is_err());
        assert!(PriceTable::from_json_str(r#"{"modelz":{}}"#).is_err());
        assert!(PriceTable::from_json_str(r#"{"per_tokens":0,"models":{}}"#).is_err());
        assert!(
            PriceTable::from_json_str(r#"{"models":{"m":{"input":1,"output":1,"x":1}}}"#).is_err()
        );
    }
}
