//! ERROR events inside a GenAI span: their message and error class mark the span failed.

use std::fmt;

use tracing_core::field::{Field, Visit};

/// Reads the message and error class of an ERROR event inside a GenAI span.
#[derive(Default)]
pub(crate) struct ErrorEventVisitor {
    log_message: Option<String>,
    error_message: Option<String>,
    pub(crate) error_type: Option<String>,
}

impl ErrorEventVisitor {
    /// The exception message: the error's own text when the event carried one
    /// (`error!(error = &e, "context")`), else the log message.
    pub(crate) fn message(&self) -> Option<String> {
        self.error_message
            .clone()
            .or_else(|| self.log_message.clone())
    }

    fn put(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.log_message = Some(value),
            "error" | "exception.message" => self.error_message = Some(value),
            "error.type" | "error_type" | "exception.type" => self.error_type = Some(value),
            _ => {}
        }
    }
}

impl Visit for ErrorEventVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_string());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, crate::model::text::error_chain(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}
