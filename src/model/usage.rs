//! [`Usage`]: token counts, and the arithmetic every stage shares (overlay, add, iterate).

use crate::semconv as sc;

/// Token usage (`gen_ai.usage.*`). Counts are never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// `gen_ai.usage.input_tokens` (total input, including cached tokens).
    pub input_tokens: Option<u64>,
    /// `gen_ai.usage.output_tokens`.
    pub output_tokens: Option<u64>,
    /// `gen_ai.usage.cache_read.input_tokens`.
    pub cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.cache_creation.input_tokens` (`gen_ai.usage.cache_write.input_tokens` in
    /// the latest conventions).
    pub cache_creation_input_tokens: Option<u64>,
    /// `gen_ai.usage.reasoning.output_tokens`.
    pub reasoning_output_tokens: Option<u64>,
    /// `gen_ai.usage.text.input_tokens` (latest conventions): the text part of the input.
    pub text_input_tokens: Option<u64>,
    /// `gen_ai.usage.image.input_tokens` (latest conventions).
    pub image_input_tokens: Option<u64>,
    /// `gen_ai.usage.audio.input_tokens` (latest conventions).
    pub audio_input_tokens: Option<u64>,
    /// `gen_ai.usage.text.output_tokens` (latest conventions).
    pub text_output_tokens: Option<u64>,
    /// `gen_ai.usage.image.output_tokens` (latest conventions).
    pub image_output_tokens: Option<u64>,
    /// `gen_ai.usage.audio.output_tokens` (latest conventions).
    pub audio_output_tokens: Option<u64>,
    /// `gen_ai.usage.text.cache_read.input_tokens` (latest conventions).
    pub text_cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.image.cache_read.input_tokens` (latest conventions).
    pub image_cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.audio.cache_read.input_tokens` (latest conventions).
    pub audio_cache_read_input_tokens: Option<u64>,
}

/// How many counts a [`Usage`] has (the five totals, then the nine per-modality counts).
pub(crate) const USAGE_COUNTS: usize = 14;

impl Usage {
    /// Usage with input and output token counts.
    ///
    /// ```
    /// let usage = tracing_genai::Usage::new(12, 30);
    /// assert_eq!((usage.input_tokens, usage.output_tokens), (Some(12), Some(30)));
    /// ```
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Usage {
            input_tokens: Some(input_tokens),
            output_tokens: Some(output_tokens),
            ..Usage::default()
        }
    }

    /// Every count with its attribute key, in export order: the five totals under their
    /// pinned names, then the nine per-modality counts under their latest names (the
    /// conventions setting decides which names are exported, see
    /// [`semconv::DIFFERENCES`](crate::semconv::DIFFERENCES)).
    ///
    /// ```
    /// let usage = tracing_genai::Usage::new(12, 30);
    /// let known: Vec<_> = usage.counts().into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
    /// assert_eq!(known, [("gen_ai.usage.input_tokens", 12), ("gen_ai.usage.output_tokens", 30)]);
    /// ```
    pub fn counts(&self) -> [(&'static str, Option<u64>); USAGE_COUNTS] {
        [
            (sc::GEN_AI_USAGE_INPUT_TOKENS, self.input_tokens),
            (sc::GEN_AI_USAGE_OUTPUT_TOKENS, self.output_tokens),
            (
                sc::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                self.cache_read_input_tokens,
            ),
            (
                sc::GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
                self.cache_creation_input_tokens,
            ),
            (
                sc::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
                self.reasoning_output_tokens,
            ),
            (sc::GEN_AI_USAGE_TEXT_INPUT_TOKENS, self.text_input_tokens),
            (sc::GEN_AI_USAGE_IMAGE_INPUT_TOKENS, self.image_input_tokens),
            (sc::GEN_AI_USAGE_AUDIO_INPUT_TOKENS, self.audio_input_tokens),
            (sc::GEN_AI_USAGE_TEXT_OUTPUT_TOKENS, self.text_output_tokens),
            (
                sc::GEN_AI_USAGE_IMAGE_OUTPUT_TOKENS,
                self.image_output_tokens,
            ),
            (
                sc::GEN_AI_USAGE_AUDIO_OUTPUT_TOKENS,
                self.audio_output_tokens,
            ),
            (
                sc::GEN_AI_USAGE_TEXT_CACHE_READ_INPUT_TOKENS,
                self.text_cache_read_input_tokens,
            ),
            (
                sc::GEN_AI_USAGE_IMAGE_CACHE_READ_INPUT_TOKENS,
                self.image_cache_read_input_tokens,
            ),
            (
                sc::GEN_AI_USAGE_AUDIO_CACHE_READ_INPUT_TOKENS,
                self.audio_cache_read_input_tokens,
            ),
        ]
    }

    fn slots(&mut self) -> [&mut Option<u64>; USAGE_COUNTS] {
        [
            &mut self.input_tokens,
            &mut self.output_tokens,
            &mut self.cache_read_input_tokens,
            &mut self.cache_creation_input_tokens,
            &mut self.reasoning_output_tokens,
            &mut self.text_input_tokens,
            &mut self.image_input_tokens,
            &mut self.audio_input_tokens,
            &mut self.text_output_tokens,
            &mut self.image_output_tokens,
            &mut self.audio_output_tokens,
            &mut self.text_cache_read_input_tokens,
            &mut self.image_cache_read_input_tokens,
            &mut self.audio_cache_read_input_tokens,
        ]
    }

    /// The per-modality counts of the input (text, image, audio), as reported.
    ///
    /// ```
    /// let mut usage = tracing_genai::Usage::new(100, 5);
    /// usage.audio_input_tokens = Some(40);
    /// assert_eq!(usage.input_by_modality(), [None, None, Some(40)]);
    /// ```
    pub fn input_by_modality(&self) -> [Option<u64>; 3] {
        [
            self.text_input_tokens,
            self.image_input_tokens,
            self.audio_input_tokens,
        ]
    }

    /// The per-modality counts of the output (text, image, audio), as reported.
    ///
    /// ```
    /// assert_eq!(tracing_genai::Usage::new(1, 2).output_by_modality(), [None; 3]);
    /// ```
    pub fn output_by_modality(&self) -> [Option<u64>; 3] {
        [
            self.text_output_tokens,
            self.image_output_tokens,
            self.audio_output_tokens,
        ]
    }

    /// The per-modality counts of the cache reads (text, image, audio), as reported.
    ///
    /// ```
    /// let mut usage = tracing_genai::Usage::default();
    /// usage.text_cache_read_input_tokens = Some(64);
    /// assert_eq!(usage.cache_read_by_modality(), [Some(64), None, None]);
    /// ```
    pub fn cache_read_by_modality(&self) -> [Option<u64>; 3] {
        [
            self.text_cache_read_input_tokens,
            self.image_cache_read_input_tokens,
            self.audio_cache_read_input_tokens,
        ]
    }

    /// Replaces each count that `other` knows (a `None` in `other` keeps this count).
    ///
    /// ```
    /// let mut usage = tracing_genai::Usage::new(12, 30);
    /// let mut last = tracing_genai::Usage::default();
    /// last.output_tokens = Some(31);
    /// usage.overlay(&last);
    /// assert_eq!((usage.input_tokens, usage.output_tokens), (Some(12), Some(31)));
    /// ```
    pub fn overlay(&mut self, other: &Usage) {
        for (slot, (_, v)) in self.slots().into_iter().zip(other.counts()) {
            if v.is_some() {
                *slot = v;
            }
        }
    }

    /// Adds `other`'s counts to this one's (saturating); a count neither knows stays `None`.
    ///
    /// ```
    /// let mut total = tracing_genai::Usage::new(12, 30);
    /// total.add(&tracing_genai::Usage::new(3, 4));
    /// assert_eq!((total.input_tokens, total.output_tokens), (Some(15), Some(34)));
    /// ```
    pub fn add(&mut self, other: &Usage) {
        for (slot, (_, v)) in self.slots().into_iter().zip(other.counts()) {
            if let Some(v) = v {
                *slot = Some(slot.unwrap_or(0).saturating_add(v));
            }
        }
    }

    /// Whether input or output tokens are known (what pricing and roll-ups need).
    ///
    /// ```
    /// assert!(!tracing_genai::Usage::default().has_tokens());
    /// assert!(tracing_genai::Usage::new(1, 0).has_tokens());
    /// ```
    pub fn has_tokens(&self) -> bool {
        self.input_tokens.is_some() || self.output_tokens.is_some()
    }
}
