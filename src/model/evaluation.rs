//! [`Evaluation`]: the result of evaluating a GenAI output (the `gen_ai.evaluation.result`
//! event), recorded on the span of the operation it evaluates.

use std::time::SystemTime;

/// The result of evaluating a GenAI output for quality, relevance, accuracy, ...: the
/// `gen_ai.evaluation.result` event. Record it on the evaluated operation's span with
/// [`GenAiSpanExt::record_evaluation`](crate::GenAiSpanExt::record_evaluation); it is emitted
/// with that span's trace and span ids when the span closes.
///
/// Only [`name`](Self::name) (`gen_ai.evaluation.name`) is required; set the score value, the
/// label (its human-readable meaning, e.g. `relevant`) or both.
///
/// ```
/// use tracing_genai::Evaluation;
///
/// let eval = Evaluation::new("relevance")
///     .with_score_value(0.92)
///     .with_score_label("relevant")
///     .with_explanation("The answer addresses the question.");
/// assert_eq!(eval.name, "relevance");
/// assert_eq!(eval.score_value, Some(0.92));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Evaluation {
    /// `gen_ai.evaluation.name`: the evaluation metric (`relevance`, `faithfulness`, ...).
    pub name: String,
    /// `gen_ai.evaluation.score.value`. Non-finite values are not exported.
    pub score_value: Option<f64>,
    /// `gen_ai.evaluation.score.label`: the human-readable meaning of the score.
    pub score_label: Option<String>,
    /// `gen_ai.evaluation.explanation`: why the evaluator gave this score.
    pub explanation: Option<String>,
    /// `error.type`, when the evaluation itself failed.
    pub error_type: Option<String>,
    /// When the evaluation was made (the record's timestamp).
    pub time: SystemTime,
}

impl Evaluation {
    /// An evaluation named `name` (`gen_ai.evaluation.name`), made now.
    ///
    /// ```
    /// let eval = tracing_genai::Evaluation::new("toxicity");
    /// assert!(eval.score_value.is_none());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Evaluation {
            name: name.into(),
            score_value: None,
            score_label: None,
            explanation: None,
            error_type: None,
            time: SystemTime::now(),
        }
    }

    /// Sets `gen_ai.evaluation.score.value`.
    ///
    /// ```
    /// let eval = tracing_genai::Evaluation::new("relevance").with_score_value(4.0);
    /// assert_eq!(eval.score_value, Some(4.0));
    /// ```
    #[must_use]
    pub fn with_score_value(mut self, value: f64) -> Self {
        self.score_value = Some(value);
        self
    }

    /// Sets `gen_ai.evaluation.score.label`.
    ///
    /// ```
    /// let eval = tracing_genai::Evaluation::new("relevance").with_score_label("relevant");
    /// assert_eq!(eval.score_label.as_deref(), Some("relevant"));
    /// ```
    #[must_use]
    pub fn with_score_label(mut self, label: impl Into<String>) -> Self {
        self.score_label = Some(label.into());
        self
    }

    /// Sets `gen_ai.evaluation.explanation`.
    ///
    /// ```
    /// let eval = tracing_genai::Evaluation::new("relevance").with_explanation("on topic");
    /// assert_eq!(eval.explanation.as_deref(), Some("on topic"));
    /// ```
    #[must_use]
    pub fn with_explanation(mut self, explanation: impl Into<String>) -> Self {
        self.explanation = Some(explanation.into());
        self
    }

    /// Sets `error.type`: the evaluation could not be made (`timeout`, the evaluator's error).
    ///
    /// ```
    /// let eval = tracing_genai::Evaluation::new("relevance").with_error_type("timeout");
    /// assert_eq!(eval.error_type.as_deref(), Some("timeout"));
    /// ```
    #[must_use]
    pub fn with_error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }
}
