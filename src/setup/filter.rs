//! [`ExportFilter`]: what the pipeline's layers (spans and, with the log bridge, events) are
//! given: a level, minus the exporter's own crates ([`EXCLUDED_TARGETS`]), matched by crate.

use tracing_core::subscriber::Interest;
use tracing_core::{LevelFilter, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// The crates whose spans and events are never exported: the exporter's own network stack and
/// the SDK (exporting them would feed the pipeline with its own activity). A target is theirs
/// when its first path segment is one of these names: `hyper` and `hyper::proto::h1`, not
/// `hyperion` or `reqwest_tracing` (see [`ExportFilter`]).
///
/// ```
/// assert!(tracing_genai::setup::EXCLUDED_TARGETS.contains(&"tonic"));
/// assert!(!tracing_genai::setup::EXCLUDED_TARGETS.contains(&"my_app"));
/// ```
pub const EXCLUDED_TARGETS: &[&str] = &[
    "tonic",
    "hyper",
    "hyper_util",
    "hyper_rustls",
    "h2",
    "reqwest",
    "tower",
    "tower_http",
    "rustls",
    "tokio_rustls",
    "rustls_platform_verifier",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "opentelemetry_http",
];

/// The filter [`setup()`](crate::setup()) and [`Pipeline::layer`](crate::setup::Pipeline::layer)
/// put on their layers: spans and events at [`Config::with_otel_level`](crate::Config::with_otel_level)
/// or above, except those of [`EXCLUDED_TARGETS`].
///
/// A target is excluded by crate, not by prefix: `reqwest::connect` and `tower_http::trace`
/// are excluded, the application's `reqwest_tracing`, `reqwest_middleware`, `hyperion` or
/// `towerdb` spans are exported. (A `tracing_subscriber::filter::Targets` with those names
/// would match any target that merely starts with them, and drop those spans silently.)
///
/// ```
/// use tracing::Level;
/// use tracing_genai::setup::ExportFilter;
///
/// let filter = ExportFilter::new(Level::INFO.into());
/// assert!(filter.excludes("hyper::proto::h1::conn"));
/// assert!(filter.excludes("reqwest"));
/// assert!(!filter.excludes("reqwest_tracing::reqwest_otel_span_builder"));
/// assert!(!filter.excludes("my_app::handlers"));
/// assert_eq!(filter.level(), Level::INFO);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportFilter {
    level: LevelFilter,
}

impl ExportFilter {
    /// Spans and events at `level` or above, minus [`EXCLUDED_TARGETS`].
    ///
    /// ```
    /// use tracing_subscriber::{Layer as _, layer::SubscriberExt as _};
    ///
    /// let filter = tracing_genai::setup::ExportFilter::new(tracing::level_filters::LevelFilter::DEBUG);
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(tracing_genai::layer().with_filter(filter));
    /// # drop(subscriber);
    /// ```
    pub fn new(level: LevelFilter) -> Self {
        Self { level }
    }

    /// The level spans and events must be at (or above) to pass.
    ///
    /// ```
    /// let filter = tracing_genai::setup::ExportFilter::new(tracing::level_filters::LevelFilter::WARN);
    /// assert_eq!(filter.level(), tracing::level_filters::LevelFilter::WARN);
    /// ```
    pub fn level(&self) -> LevelFilter {
        self.level
    }

    /// Whether `target` belongs to one of [`EXCLUDED_TARGETS`] (its first path segment is one).
    ///
    /// ```
    /// let filter = tracing_genai::setup::ExportFilter::new(tracing::level_filters::LevelFilter::INFO);
    /// assert!(filter.excludes("opentelemetry_sdk::trace::span_processor"));
    /// assert!(!filter.excludes("opentelemetry_demo"));
    /// ```
    pub fn excludes(&self, target: &str) -> bool {
        let krate = target.split_once("::").map_or(target, |(first, _)| first);
        EXCLUDED_TARGETS.contains(&krate)
    }

    fn passes(&self, meta: &Metadata<'_>) -> bool {
        *meta.level() <= self.level && !self.excludes(meta.target())
    }
}

impl<S> Filter<S> for ExportFilter {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.passes(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        // A callsite's level and target never change: decided once per callsite.
        if self.passes(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_excluded_by_crate_not_by_prefix() {
        let f = ExportFilter::new(LevelFilter::INFO);
        for excluded in [
            "tonic",
            "tonic::transport::channel",
            "hyper::proto::h1::conn",
            "hyper_util::client::legacy::pool",
            "h2::codec::framed_read",
            "reqwest::connect",
            "tower::buffer::worker",
            "tower_http::trace::on_response",
            "opentelemetry_sdk",
            "opentelemetry_otlp::exporter",
            "rustls::client::hs",
        ] {
            assert!(f.excludes(excluded), "{excluded}");
        }
        for kept in [
            "reqwest_tracing::reqwest_otel_span_builder",
            "reqwest_middleware",
            "hyperion::server",
            "h2o",
            "towerdb",
            "tonic_app::rpc",
            "opentelemetry_demo",
            "my_app",
            "",
        ] {
            assert!(!f.excludes(kept), "{kept}");
        }
    }
}
