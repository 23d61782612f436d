//! Which version of the GenAI conventions the layer speaks ([`Conventions`]), and the one table
//! of what differs between them ([`DIFFERENCES`]).
//!
//! The export code never compares versions itself: it asks [`Conventions::names`] for the
//! names of an [`Item`] (an attribute or metric whose name differs, or was added or removed)
//! and [`Conventions::has`] for a rule that only one version has. Adding a version (or moving
//! the pin) is a change of this file: new rows in [`DIFFERENCES`], new [`Item`]s for new names,
//! and a new setting in [`Conventions`] if both must stay selectable.

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

/// Which GenAI semantic conventions the layer emits (the inputs it accepts are the same in
/// every setting).
///
/// Chosen in code with [`GenAiLayer::with_conventions`](crate::GenAiLayer::with_conventions)
/// (or `setup::Config::with_conventions`), else by [`OTEL_SEMCONV_STABILITY_OPT_IN`](Self::ENV_VAR).
///
/// ```
/// use tracing_genai::semconv::Conventions;
///
/// assert_eq!(Conventions::default(), Conventions::Pinned);
/// assert_eq!(Conventions::from_opt_in("http,gen_ai_latest_experimental"), Conventions::Latest);
/// assert_eq!(Conventions::from_opt_in("gen_ai_latest_experimental/dup"), Conventions::Both);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Conventions {
    /// The pinned registry snapshot ([`SCHEMA_URL`]), which the test suite validates against
    /// (the default).
    #[default]
    Pinned,
    /// The newest conventions on upstream `main` only (`gen_ai_latest_experimental`).
    Latest,
    /// Both: every pinned and every latest attribute and metric, a name that did not change
    /// written once (`gen_ai_latest_experimental/dup`), for migrating dashboards.
    Both,
}

/// The opt-in value that selects [`Conventions::Latest`].
pub const OPT_IN_LATEST: &str = "gen_ai_latest_experimental";
/// The opt-in value that selects [`Conventions::Both`].
pub const OPT_IN_LATEST_DUP: &str = "gen_ai_latest_experimental/dup";

static WARNED: AtomicBool = AtomicBool::new(false);

impl Conventions {
    /// The environment variable read when no setting is chosen in code: a comma-separated list
    /// as in the OpenTelemetry specification; values this crate does not know are ignored.
    ///
    /// ```
    /// assert_eq!(tracing_genai::semconv::Conventions::ENV_VAR, "OTEL_SEMCONV_STABILITY_OPT_IN");
    /// ```
    pub const ENV_VAR: &'static str = "OTEL_SEMCONV_STABILITY_OPT_IN";

    /// The setting a value of [`ENV_VAR`](Self::ENV_VAR) asks for: `/dup` wins over the plain
    /// value when both are listed; entries are trimmed and compared case-insensitively; other
    /// entries (`http`, `database/dup`, ...) are ignored.
    ///
    /// ```
    /// use tracing_genai::semconv::Conventions;
    ///
    /// assert_eq!(Conventions::from_opt_in(""), Conventions::Pinned);
    /// assert_eq!(Conventions::from_opt_in("http/dup, gen_ai_latest_experimental"), Conventions::Latest);
    /// assert_eq!(
    ///     Conventions::from_opt_in("gen_ai_latest_experimental,gen_ai_latest_experimental/dup"),
    ///     Conventions::Both,
    /// );
    /// ```
    pub fn from_opt_in(value: &str) -> Conventions {
        let mut out = Conventions::Pinned;
        for entry in value.split(',').map(str::trim) {
            if entry.eq_ignore_ascii_case(OPT_IN_LATEST_DUP) {
                out = Conventions::Both;
            } else if entry.eq_ignore_ascii_case(OPT_IN_LATEST) && out == Conventions::Pinned {
                out = Conventions::Latest;
            }
        }
        out
    }

    /// The first entry of an opt-in list that looks like a misspelled GenAI option
    /// (`gen_ai_latest`, `genai_latest_experimental`, `gen_ai_latest_experimental/dupe`, ...):
    /// what the layer warns about.
    ///
    /// ```
    /// use tracing_genai::semconv::Conventions;
    ///
    /// assert_eq!(Conventions::misspelled_opt_in("http,gen_ai_latest"), Some("gen_ai_latest"));
    /// assert_eq!(Conventions::misspelled_opt_in("http,gen_ai_latest_experimental"), None);
    /// assert_eq!(Conventions::misspelled_opt_in("database/dup"), None);
    /// ```
    pub fn misspelled_opt_in(value: &str) -> Option<&str> {
        value.split(',').map(str::trim).find(|entry| {
            let e = entry.to_ascii_lowercase();
            if e == OPT_IN_LATEST || e == OPT_IN_LATEST_DUP || e.is_empty() {
                return false;
            }
            let squashed: String = e.chars().filter(char::is_ascii_alphanumeric).collect();
            squashed.starts_with("genai")
                || squashed.contains("latestexperimental")
                || [OPT_IN_LATEST, OPT_IN_LATEST_DUP]
                    .iter()
                    .any(|known| edit_distance(&e, known) <= 3)
        })
    }

    /// Reads [`ENV_VAR`](Self::ENV_VAR) from the process environment (unset means
    /// [`Pinned`](Self::Pinned)). A misspelled GenAI option is reported once per process as
    /// a `tracing` warning (target `tracing_genai`).
    ///
    /// ```
    /// let conventions = tracing_genai::semconv::Conventions::from_env();
    /// # drop(conventions);
    /// ```
    pub fn from_env() -> Conventions {
        match std::env::var(Self::ENV_VAR) {
            Ok(value) => Self::from_opt_in_warning(&value),
            Err(_) => Conventions::Pinned,
        }
    }

    /// [`from_opt_in`](Self::from_opt_in), warning (once per process) about a misspelled
    /// GenAI option.
    pub(crate) fn from_opt_in_warning(value: &str) -> Conventions {
        if let Some(entry) = Self::misspelled_opt_in(value)
            && !WARNED.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                target: "tracing_genai",
                "{}: unknown value {:?} ignored (did you mean {OPT_IN_LATEST:?} or \
                 {OPT_IN_LATEST_DUP:?}?); the pinned GenAI conventions stay in use unless \
                 another entry selects the latest",
                Self::ENV_VAR,
                entry.chars().take(64).collect::<String>(),
            );
        }
        Self::from_opt_in(value)
    }

    /// The opt-in value that selects this setting (`None` for the default).
    ///
    /// ```
    /// use tracing_genai::semconv::Conventions;
    /// assert_eq!(Conventions::Both.opt_in_value(), Some("gen_ai_latest_experimental/dup"));
    /// assert_eq!(Conventions::Pinned.opt_in_value(), None);
    /// ```
    pub fn opt_in_value(self) -> Option<&'static str> {
        match self {
            Conventions::Pinned => None,
            Conventions::Latest => Some(OPT_IN_LATEST),
            Conventions::Both => Some(OPT_IN_LATEST_DUP),
        }
    }

    /// Whether the pinned names are emitted (`Pinned` and `Both`).
    ///
    /// ```
    /// assert!(tracing_genai::semconv::Conventions::Both.emits_pinned());
    /// ```
    pub fn emits_pinned(self) -> bool {
        matches!(self, Conventions::Pinned | Conventions::Both)
    }

    /// Whether the latest names are emitted (`Latest` and `Both`).
    ///
    /// ```
    /// assert!(!tracing_genai::semconv::Conventions::Pinned.emits_latest());
    /// ```
    pub fn emits_latest(self) -> bool {
        matches!(self, Conventions::Latest | Conventions::Both)
    }

    /// The names this setting emits for `item`, in order (pinned first), each once: none, one
    /// or two.
    ///
    /// ```
    /// use tracing_genai::semconv::{Conventions, Item};
    ///
    /// let names = |c: Conventions| c.names(Item::UsageCacheWriteInputTokens).collect::<Vec<_>>();
    /// assert_eq!(names(Conventions::Pinned), ["gen_ai.usage.cache_creation.input_tokens"]);
    /// assert_eq!(names(Conventions::Latest), ["gen_ai.usage.cache_write.input_tokens"]);
    /// assert_eq!(names(Conventions::Both).len(), 2);
    /// assert_eq!(Conventions::Pinned.names(Item::UsageAudioInputTokens).count(), 0);
    /// ```
    pub fn names(self, item: Item) -> impl Iterator<Item = &'static str> {
        let d = item.difference();
        let pinned = d.pinned.filter(|_| self.emits_pinned());
        let latest = d
            .latest
            .filter(|n| self.emits_latest() && Some(*n) != pinned);
        pinned.into_iter().chain(latest)
    }

    /// The one name for `item` where a single instrument or key is needed: the latest when
    /// this setting emits it, else the pinned one.
    ///
    /// ```
    /// use tracing_genai::semconv::{Conventions, Item};
    /// assert_eq!(Conventions::Both.name(Item::WorkflowDuration), Some("gen_ai.invoke_workflow.duration"));
    /// ```
    pub fn name(self, item: Item) -> Option<&'static str> {
        let d = item.difference();
        d.latest
            .filter(|_| self.emits_latest())
            .or(d.pinned.filter(|_| self.emits_pinned()))
    }

    /// The part of this setting in which `item` exists: `self` narrowed to the versions that
    /// have it (`None` if none does). For names that only exist where a rule holds: in `Both`,
    /// a pinned-only rule keeps only the pinned names.
    ///
    /// ```
    /// use tracing_genai::semconv::{Conventions, Item};
    /// let item = Item::InternalAgentCacheUsage; // pinned only
    /// assert_eq!(Conventions::Both.where_has(item), Some(Conventions::Pinned));
    /// assert_eq!(Conventions::Latest.where_has(item), None);
    /// assert_eq!(Conventions::Both.where_has(Item::InferenceDuration), Some(Conventions::Both));
    /// ```
    pub fn where_has(self, item: Item) -> Option<Conventions> {
        let d = item.difference();
        let pinned = d.pinned.is_some() && self.emits_pinned();
        let latest = d.latest.is_some() && self.emits_latest();
        match (pinned, latest) {
            (true, true) => Some(Conventions::Both),
            (true, false) => Some(Conventions::Pinned),
            (false, true) => Some(Conventions::Latest),
            (false, false) => None,
        }
    }

    /// Whether this setting has `item` at all (in `Both`: whether either version has it).
    ///
    /// ```
    /// use tracing_genai::semconv::{Conventions, Item};
    /// assert!(Conventions::Latest.has(Item::FinishReasonsErrorPadding));
    /// assert!(!Conventions::Latest.has(Item::OutputMessageFinishReason));
    /// assert!(Conventions::Both.has(Item::OutputMessageFinishReason));
    /// ```
    pub fn has(self, item: Item) -> bool {
        self.names(item).next().is_some()
    }
}

/// Levenshtein distance of two short ASCII strings (misspelling detection only).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// What kind of thing a row of [`DIFFERENCES`] is about.
///
/// ```
/// use tracing_genai::semconv::{Item, Kind};
/// assert_eq!(Item::TokenUsage.difference().kind, Kind::Metric);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A span attribute key.
    Attribute,
    /// A metric instrument name.
    Metric,
    /// An attribute key on metrics.
    MetricAttribute,
    /// A rule (what is written, not under which name); the row's texts describe it.
    Rule,
}

/// One thing the pinned and the latest conventions do differently: its name in each (`None`:
/// absent from that version).
///
/// ```
/// use tracing_genai::semconv::Item;
/// let d = Item::InferenceDuration.difference();
/// assert_eq!((d.pinned, d.latest), (Some("gen_ai.client.operation.duration"), Some("gen_ai.client.inference.duration")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Difference {
    /// Which row this is.
    pub item: Item,
    /// What it is about.
    pub kind: Kind,
    /// Its name (for a rule: what it does) in the pinned conventions.
    pub pinned: Option<&'static str>,
    /// Its name (for a rule: what it does) in the latest conventions.
    pub latest: Option<&'static str>,
    /// Type and unit (`int`, `{token}`, `s`), or a remark.
    pub note: &'static str,
}

/// The rows of [`DIFFERENCES`], named for what they are in the latest conventions.
///
/// ```
/// use tracing_genai::semconv::{Conventions, Item};
/// assert_eq!(Conventions::Latest.name(Item::TimeToFirstChunk), Some("gen_ai.client.inference.time_to_first_chunk"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item {
    /// `gen_ai.usage.cache_creation.input_tokens` → `gen_ai.usage.cache_write.input_tokens`.
    UsageCacheWriteInputTokens,
    /// `gen_ai.usage.text.input_tokens` (latest only).
    UsageTextInputTokens,
    /// `gen_ai.usage.image.input_tokens` (latest only).
    UsageImageInputTokens,
    /// `gen_ai.usage.audio.input_tokens` (latest only).
    UsageAudioInputTokens,
    /// `gen_ai.usage.text.output_tokens` (latest only).
    UsageTextOutputTokens,
    /// `gen_ai.usage.image.output_tokens` (latest only).
    UsageImageOutputTokens,
    /// `gen_ai.usage.audio.output_tokens` (latest only).
    UsageAudioOutputTokens,
    /// `gen_ai.usage.text.cache_read.input_tokens` (latest only).
    UsageTextCacheReadInputTokens,
    /// `gen_ai.usage.image.cache_read.input_tokens` (latest only).
    UsageImageCacheReadInputTokens,
    /// `gen_ai.usage.audio.cache_read.input_tokens` (latest only).
    UsageAudioCacheReadInputTokens,
    /// The `gen_ai.client.token.usage` histogram (pinned only).
    TokenUsage,
    /// `gen_ai.token.type` on token metrics (pinned only).
    TokenType,
    /// `gen_ai.token.modality` on the usage counters (latest only).
    TokenModality,
    /// The `gen_ai.client.inference.usage.input_tokens` counter (latest only).
    UsageInputTokensCounter,
    /// The `gen_ai.client.inference.usage.output_tokens` counter (latest only).
    UsageOutputTokensCounter,
    /// The `gen_ai.client.inference.usage.cache_read.input_tokens` counter (latest only).
    UsageCacheReadInputTokensCounter,
    /// The `gen_ai.client.inference.usage.cache_write.input_tokens` counter (latest only).
    UsageCacheWriteInputTokensCounter,
    /// The `gen_ai.client.inference.usage.reasoning.output_tokens` counter (latest only).
    UsageReasoningOutputTokensCounter,
    /// The `gen_ai.client.inference.operation.input_tokens` histogram (latest only).
    OperationInputTokens,
    /// The `gen_ai.client.inference.operation.output_tokens` histogram (latest only).
    OperationOutputTokens,
    /// The duration of an inference: `gen_ai.client.operation.duration` →
    /// `gen_ai.client.inference.duration` (other operations keep the old name).
    InferenceDuration,
    /// `gen_ai.client.operation.time_to_first_chunk` → `gen_ai.client.inference.time_to_first_chunk`.
    TimeToFirstChunk,
    /// `gen_ai.client.operation.time_per_output_chunk` → `gen_ai.client.inference.time_per_output_chunk`.
    TimePerOutputChunk,
    /// `gen_ai.workflow.duration` → `gen_ai.invoke_workflow.duration`.
    WorkflowDuration,
    /// Rule (pinned only): an INTERNAL `invoke_agent` span carries the cache usage attributes.
    InternalAgentCacheUsage,
    /// Rule (latest only): `execute_tool` carries `gen_ai.conversation.id` when known (from
    /// the span or its nearest GenAI ancestor).
    ToolConversationId,
    /// Rule (latest only): `gen_ai.response.finish_reasons` has `error` for a generation that
    /// ended without a reason (a failed inference).
    FinishReasonsErrorPadding,
    /// Rule (pinned only): each entry of `gen_ai.output.messages` has its `finish_reason`.
    OutputMessageFinishReason,
    /// Rule (latest only): the `gen_ai.client.inference.operation.details` event is
    /// recommended: a log record for every inference call (when log records are emitted),
    /// severity DEBUG; message content in it stays opt-in.
    InferenceDetailsRecommended,
}

impl Item {
    /// This item's row of [`DIFFERENCES`].
    ///
    /// ```
    /// use tracing_genai::semconv::Item;
    /// assert_eq!(Item::TokenUsage.difference().latest, None);
    /// ```
    pub fn difference(self) -> &'static Difference {
        DIFFERENCES
            .iter()
            .find(|d| d.item == self)
            .unwrap_or(&UNCHANGED)
    }
}

const UNCHANGED: Difference = Difference {
    item: Item::TokenUsage,
    kind: Kind::Rule,
    pinned: None,
    latest: None,
    note: "",
};

const fn row(
    item: Item,
    kind: Kind,
    pinned: Option<&'static str>,
    latest: Option<&'static str>,
    note: &'static str,
) -> Difference {
    Difference {
        item,
        kind,
        pinned,
        latest,
        note,
    }
}

use Item as I;
use Kind as K;

/// Everything the pinned snapshot ([`SCHEMA_URL`]) and the latest conventions (upstream `main`
/// through 2026-10-09, commit 6fd0d76, as listed in `tests/data/semconv/LATEST.md`) do
/// differently, one row each. Names not listed are the same in both. Emitted span names and
/// kinds are unchanged; the inference details event is the same in both (a log record when the
/// layer has a logger provider, else a span event).
///
/// ```
/// use tracing_genai::semconv::{Kind, DIFFERENCES};
/// let renamed_metrics = DIFFERENCES
///     .iter()
///     .filter(|d| d.kind == Kind::Metric && d.pinned.is_some() && d.latest.is_some())
///     .count();
/// assert_eq!(renamed_metrics, 4);
/// ```
#[rustfmt::skip]
pub const DIFFERENCES: &[Difference] = &[
    // Span attributes.
    row(I::UsageCacheWriteInputTokens, K::Attribute, Some(GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS), Some(GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS), "int"),
    row(I::UsageTextInputTokens, K::Attribute, None, Some(GEN_AI_USAGE_TEXT_INPUT_TOKENS), "int"),
    row(I::UsageImageInputTokens, K::Attribute, None, Some(GEN_AI_USAGE_IMAGE_INPUT_TOKENS), "int"),
    row(I::UsageAudioInputTokens, K::Attribute, None, Some(GEN_AI_USAGE_AUDIO_INPUT_TOKENS), "int"),
    row(I::UsageTextOutputTokens, K::Attribute, None, Some(GEN_AI_USAGE_TEXT_OUTPUT_TOKENS), "int"),
    row(I::UsageImageOutputTokens, K::Attribute, None, Some(GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS), "int"),
    row(I::UsageAudioOutputTokens, K::Attribute, None, Some(GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS), "int"),
    row(I::UsageTextCacheReadInputTokens, K::Attribute, None, Some(GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS), "int"),
    row(I::UsageImageCacheReadInputTokens, K::Attribute, None, Some(GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS), "int"),
    row(I::UsageAudioCacheReadInputTokens, K::Attribute, None, Some(GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS), "int"),
    // Metrics and their attributes.
    row(I::TokenUsage, K::Metric, Some(METRIC_CLIENT_TOKEN_USAGE), None, "histogram {token}"),
    row(I::TokenType, K::MetricAttribute, Some(GEN_AI_TOKEN_TYPE), None, "string (enum)"),
    row(I::TokenModality, K::MetricAttribute, None, Some(GEN_AI_TOKEN_MODALITY), "string (enum)"),
    row(I::UsageInputTokensCounter, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_USAGE_INPUT_TOKENS), "counter {token}"),
    row(I::UsageOutputTokensCounter, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS), "counter {token}"),
    row(I::UsageCacheReadInputTokensCounter, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS), "counter {token}"),
    row(I::UsageCacheWriteInputTokensCounter, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS), "counter {token}"),
    row(I::UsageReasoningOutputTokensCounter, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_USAGE_REASONING_OUTPUT_TOKENS), "counter {token}"),
    row(I::OperationInputTokens, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS), "histogram {token}"),
    row(I::OperationOutputTokens, K::Metric, None, Some(METRIC_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS), "histogram {token}"),
    row(I::InferenceDuration, K::Metric, Some(METRIC_CLIENT_OPERATION_DURATION), Some(METRIC_CLIENT_INFERENCE_DURATION), "histogram s; other operations keep gen_ai.client.operation.duration"),
    row(I::TimeToFirstChunk, K::Metric, Some(METRIC_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK), Some(METRIC_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK), "histogram s"),
    row(I::TimePerOutputChunk, K::Metric, Some(METRIC_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK), Some(METRIC_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK), "histogram s"),
    row(I::WorkflowDuration, K::Metric, Some(METRIC_WORKFLOW_DURATION), Some(METRIC_INVOKE_WORKFLOW_DURATION), "histogram s"),
    // Rules.
    row(I::InternalAgentCacheUsage, K::Rule, Some("cache_read/cache_write usage on the INTERNAL invoke_agent span"), None, "input/output usage stays"),
    row(I::ToolConversationId, K::Rule, None, Some("gen_ai.conversation.id on execute_tool when known"), "conditionally required"),
    row(I::FinishReasonsErrorPadding, K::Rule, None, Some("`error` in gen_ai.response.finish_reasons for a generation without a reason"), "one entry per generation"),
    row(I::OutputMessageFinishReason, K::Rule, Some("finish_reason in each gen_ai.output.messages entry"), None, "deprecated in latest"),
    row(I::InferenceDetailsRecommended, K::Rule, None, Some("gen_ai.client.inference.operation.details log record for every inference call, severity DEBUG"), "pinned: opt-in (content event modes, with_inference_details), INFO"),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_item_has_one_row() {
        for (i, d) in DIFFERENCES.iter().enumerate() {
            assert_eq!(d.item.difference(), d, "row {i}");
            assert!(d.pinned.is_some() || d.latest.is_some(), "row {i}");
            assert_eq!(DIFFERENCES.iter().filter(|o| o.item == d.item).count(), 1);
        }
        assert_eq!(DIFFERENCES.len(), 29);
    }

    #[test]
    fn names_follow_the_setting() {
        use Conventions::*;
        let all = |c: Conventions, i: Item| c.names(i).collect::<Vec<_>>();
        assert_eq!(all(Pinned, I::TokenUsage), [METRIC_CLIENT_TOKEN_USAGE]);
        assert!(all(Latest, I::TokenUsage).is_empty());
        assert_eq!(all(Both, I::TokenUsage), [METRIC_CLIENT_TOKEN_USAGE]);
        assert_eq!(
            all(Both, I::InferenceDuration),
            [
                METRIC_CLIENT_OPERATION_DURATION,
                METRIC_CLIENT_INFERENCE_DURATION
            ]
        );
        assert_eq!(
            Pinned.name(I::InferenceDuration),
            Some(METRIC_CLIENT_OPERATION_DURATION)
        );
        assert_eq!(
            Latest.name(I::UsageTextInputTokens),
            Some(GEN_AI_USAGE_TEXT_INPUT_TOKENS)
        );
        assert_eq!(Pinned.name(I::UsageTextInputTokens), None);
        assert!(Pinned.has(I::InternalAgentCacheUsage) && !Latest.has(I::InternalAgentCacheUsage));
        assert!(Both.has(I::InternalAgentCacheUsage) && Both.has(I::ToolConversationId));
    }

    #[test]
    fn opt_in_lists() {
        use Conventions::*;
        for (value, want) in [
            ("", Pinned),
            ("http", Pinned),
            ("gen_ai_latest_experimental", Latest),
            (" GEN_AI_LATEST_EXPERIMENTAL ", Latest),
            ("database,gen_ai_latest_experimental/dup", Both),
            (
                "gen_ai_latest_experimental/dup,gen_ai_latest_experimental",
                Both,
            ),
            ("gen_ai_latest", Pinned),
        ] {
            assert_eq!(Conventions::from_opt_in(value), want, "{value:?}");
        }
        for (value, want) in [
            ("gen_ai_latest", Some("gen_ai_latest")),
            (
                "genai_latest_experimental",
                Some("genai_latest_experimental"),
            ),
            (
                "gen_ai_latest_experimental/dupe",
                Some("gen_ai_latest_experimental/dupe"),
            ),
            (
                "gen-ai-latest-experimental",
                Some("gen-ai-latest-experimental"),
            ),
            (
                "gen_ia_latest_experimental",
                Some("gen_ia_latest_experimental"),
            ),
            ("http,http/dup,database", None),
            ("gen_ai_latest_experimental", None),
            ("", None),
        ] {
            assert_eq!(Conventions::misspelled_opt_in(value), want, "{value:?}");
        }
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
