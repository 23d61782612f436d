//! Parsing of the standard `OTEL_*` environment variables (from any lookup, so it is testable
//! without touching the process environment).

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::Sampler;

use super::config::ExporterKind;
use super::error::SetupError;
use super::kinds::MetricsExporter;
use super::signal::OtlpEnv;
use crate::semconv::Conventions;

/// Every setting the environment can provide; `None` = variable not set (or empty).
#[derive(Debug, Default, Clone)]
pub(crate) struct EnvSettings {
    /// The `OTEL_EXPORTER_OTLP_*` transport variables, generic and per signal.
    pub(crate) otlp: OtlpEnv,
    pub(crate) service_name: Option<String>,
    pub(crate) resource_attributes: Vec<KeyValue>,
    pub(crate) sampler: Option<Sampler>,
    pub(crate) disabled: bool,
    pub(crate) exporter: Option<ExporterKind>,
    pub(crate) schedule_delay: Option<Duration>,
    pub(crate) max_queue_size: Option<usize>,
    pub(crate) max_export_batch_size: Option<usize>,
    pub(crate) export_timeout: Option<Duration>,
    /// `OTEL_METRICS_EXPORTER`.
    pub(crate) metrics: Option<MetricsExporter>,
    pub(crate) metric_export_interval: Option<Duration>,
    /// `OTEL_SEMCONV_STABILITY_OPT_IN` (unknown entries ignored, as the specification says).
    pub(crate) conventions: Option<Conventions>,
    // Logs (issue 12): `OTEL_LOGS_EXPORTER`, `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (see logs.rs).
    pub(crate) logs: super::logs::LogsEnv,
}

pub(super) fn invalid(var: &str, value: &str, reason: impl Into<String>) -> SetupError {
    SetupError::invalid_env(var, value, reason)
}

/// Reads the variables through `get` (returns the value of a variable if set).
pub(crate) fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<EnvSettings, SetupError> {
    // Empty values count as unset, as the specification says.
    let var = |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut out = EnvSettings {
        otlp: OtlpEnv::parse(&var)?,
        service_name: var("OTEL_SERVICE_NAME"),
        ..EnvSettings::default()
    };
    if let Some(v) = var("OTEL_RESOURCE_ATTRIBUTES") {
        for (k, val) in parse_key_values("OTEL_RESOURCE_ATTRIBUTES", &v)? {
            if k == "service.name" && out.service_name.is_none() {
                out.service_name = Some(val.clone());
            }
            out.resource_attributes.push(KeyValue::new(k, val));
        }
    }
    out.sampler = parse_sampler(var("OTEL_TRACES_SAMPLER"), var("OTEL_TRACES_SAMPLER_ARG"))?;
    if let Some(v) = var("OTEL_SDK_DISABLED") {
        out.disabled = match v.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(invalid("OTEL_SDK_DISABLED", &v, "expected true or false")),
        };
    }
    if let Some(v) = var("OTEL_TRACES_EXPORTER") {
        out.exporter = Some(parse_exporter_kind("OTEL_TRACES_EXPORTER", &v)?);
    }
    if let Some(v) = var("OTEL_BSP_SCHEDULE_DELAY") {
        out.schedule_delay = Some(parse_millis("OTEL_BSP_SCHEDULE_DELAY", &v)?);
    }
    if let Some(v) = var("OTEL_BSP_EXPORT_TIMEOUT") {
        out.export_timeout = Some(parse_millis("OTEL_BSP_EXPORT_TIMEOUT", &v)?);
    }
    if let Some(v) = var("OTEL_BSP_MAX_QUEUE_SIZE") {
        out.max_queue_size = Some(parse_count("OTEL_BSP_MAX_QUEUE_SIZE", &v)?);
    }
    if let Some(v) = var("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
        out.max_export_batch_size = Some(parse_count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &v)?);
    }
    if let Some(v) = var(Conventions::ENV_VAR) {
        out.conventions = Some(Conventions::from_opt_in_warning(&v));
    }
    if let Some(v) = var("OTEL_METRICS_EXPORTER") {
        let first = v
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        out.metrics = Some(match first.as_str() {
            "otlp" => MetricsExporter::Otlp,
            "console" | "logging" => MetricsExporter::Console,
            "none" => MetricsExporter::None,
            _ => {
                return Err(invalid(
                    "OTEL_METRICS_EXPORTER",
                    &v,
                    "expected otlp, console or none",
                ));
            }
        });
    }
    if let Some(v) = var("OTEL_METRIC_EXPORT_INTERVAL") {
        let interval = parse_millis("OTEL_METRIC_EXPORT_INTERVAL", &v)?;
        if interval.is_zero() {
            return Err(invalid(
                "OTEL_METRIC_EXPORT_INTERVAL",
                &v,
                "expected a positive whole number of milliseconds",
            ));
        }
        out.metric_export_interval = Some(interval);
    }
    // Logs (issue 12): parsed in logs.rs.
    super::logs::parse_env(&var, &mut out.logs)?;
    if let (Some(batch), Some(queue)) = (out.max_export_batch_size, out.max_queue_size)
        && batch > queue
    {
        return Err(invalid(
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            &batch.to_string(),
            format!("must not exceed OTEL_BSP_MAX_QUEUE_SIZE ({queue})"),
        ));
    }
    Ok(out)
}

/// A lookup over a map, for [`parse`].
pub(crate) fn from_map(map: HashMap<String, String>) -> impl Fn(&str) -> Option<String> {
    move |name| map.get(name).cloned()
}

/// An `OTEL_*_EXPORTER` value: a list is allowed by the specification; the first entry is used.
pub(super) fn parse_exporter_kind(var: &str, value: &str) -> Result<ExporterKind, SetupError> {
    let first = value
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match first.as_str() {
        "otlp" => Ok(ExporterKind::Otlp),
        "console" | "logging" => Ok(ExporterKind::Console),
        "none" => Ok(ExporterKind::None),
        _ => Err(invalid(var, value, "expected otlp, console or none")),
    }
}

pub(super) fn check_url(var: &str, value: &str) -> Result<String, SetupError> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(|| invalid(var, value, "expected an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(invalid(var, value, "the URL has no host"));
    }
    Ok(value.to_owned())
}

pub(super) fn parse_millis(var: &str, value: &str) -> Result<Duration, SetupError> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|e| {
            SetupError::invalid_env_because(
                var,
                value,
                "expected a whole number of milliseconds",
                e,
            )
        })
}

fn parse_count(var: &str, value: &str) -> Result<usize, SetupError> {
    const EXPECTED: &str = "expected a positive whole number";
    match value.parse::<usize>() {
        Ok(0) => Err(invalid(var, value, EXPECTED)),
        Err(e) => Err(SetupError::invalid_env_because(var, value, EXPECTED, e)),
        Ok(n) => Ok(n),
    }
}

/// `k1=v1,k2=v2` with percent-decoded keys and values (W3C baggage-like list).
pub(crate) fn parse_key_values(
    var: &str,
    value: &str,
) -> Result<Vec<(String, String)>, SetupError> {
    let mut out = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        // Properties after ';' (baggage syntax) are ignored.
        let item = item.split(';').next().unwrap_or_default();
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| invalid(var, value, format!("entry {item:?} is not key=value")))?;
        let key =
            percent_decode(k.trim()).ok_or_else(|| invalid(var, value, "bad percent-encoding"))?;
        let val =
            percent_decode(v.trim()).ok_or_else(|| invalid(var, value, "bad percent-encoding"))?;
        if key.is_empty() {
            return Err(invalid(
                var,
                value,
                format!("entry {item:?} has an empty key"),
            ));
        }
        out.push((key, val));
    }
    Ok(out)
}

pub(super) fn parse_headers(var: &str, value: &str) -> Result<Vec<(String, String)>, SetupError> {
    let pairs = parse_key_values(var, value)?;
    for (k, v) in &pairs {
        let key_ok = k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let value_ok = v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
        if !key_ok || !value_ok {
            return Err(invalid(
                var,
                value,
                format!("header {k:?} is not a valid HTTP header name/value"),
            ));
        }
    }
    Ok(pairs)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn parse_sampler(name: Option<String>, arg: Option<String>) -> Result<Option<Sampler>, SetupError> {
    let Some(name) = name else { return Ok(None) };
    let ratio = || -> Result<f64, SetupError> {
        const VAR: &str = "OTEL_TRACES_SAMPLER_ARG";
        const EXPECTED: &str = "expected a ratio between 0 and 1";
        match &arg {
            None => Ok(1.0),
            Some(a) => match a.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                Ok(_) => Err(invalid(VAR, a, EXPECTED)),
                Err(e) => Err(SetupError::invalid_env_because(VAR, a, EXPECTED, e)),
            },
        }
    };
    let sampler = match name.to_ascii_lowercase().as_str() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatioBased(ratio()?),
        "parentbased_always_on" => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        "parentbased_always_off" => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        "parentbased_traceidratio" => {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio()?)))
        }
        _ => {
            return Err(invalid(
                "OTEL_TRACES_SAMPLER",
                &name,
                "expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio",
            ));
        }
    };
    Ok(Some(sampler))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<EnvSettings, SetupError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&from_map(map))
    }

    fn bad_var(pairs: &[(&str, &str)]) -> String {
        match env(pairs) {
            Err(SetupError::InvalidEnv { var, .. }) => var,
            other => panic!("expected InvalidEnv, got {other:?}"),
        }
    }

    #[test]
    fn empty_env_is_all_defaults() {
        let s = env(&[]).unwrap();
        assert!(
            s.otlp.generic.endpoint.is_none()
                && s.otlp.generic.protocol.is_none()
                && s.otlp.traces.headers.is_none()
                && !s.disabled
        );
    }

    #[test]
    fn headers_are_percent_decoded_and_a_signal_list_replaces_the_generic_one() {
        let s = env(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b, x-team=core"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "API-KEY=secret%3D1"),
        ])
        .unwrap();
        assert_eq!(
            s.otlp.generic.headers,
            Some(vec![
                ("api-key".to_string(), "a b".to_string()),
                ("x-team".to_string(), "core".to_string())
            ])
        );
        assert_eq!(
            s.otlp.traces.headers,
            Some(vec![("API-KEY".to_string(), "secret=1".to_string())])
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")]),
            "OTEL_EXPORTER_OTLP_PROTOCOL"
        );
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "x")]),
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
        );
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317")]),
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        );
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_TIMEOUT", "5s")]),
            "OTEL_EXPORTER_OTLP_TIMEOUT"
        );
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_HEADERS", "novalue")]),
            "OTEL_EXPORTER_OTLP_HEADERS"
        );
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_HEADERS", "k=%zz")]),
            "OTEL_EXPORTER_OTLP_HEADERS"
        );
        assert_eq!(
            bad_var(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli")]),
            "OTEL_EXPORTER_OTLP_COMPRESSION"
        );
        assert_eq!(
            bad_var(&[("OTEL_TRACES_SAMPLER", "sometimes")]),
            "OTEL_TRACES_SAMPLER"
        );
        assert_eq!(
            bad_var(&[
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "2")
            ]),
            "OTEL_TRACES_SAMPLER_ARG"
        );
        assert_eq!(
            bad_var(&[("OTEL_SDK_DISABLED", "yes")]),
            "OTEL_SDK_DISABLED"
        );
        assert_eq!(
            bad_var(&[("OTEL_TRACES_EXPORTER", "zipkin")]),
            "OTEL_TRACES_EXPORTER"
        );
        assert_eq!(
            bad_var(&[("OTEL_BSP_MAX_QUEUE_SIZE", "0")]),
            "OTEL_BSP_MAX_QUEUE_SIZE"
        );
        assert_eq!(
            bad_var(&[("OTEL_BSP_SCHEDULE_DELAY", "-1")]),
            "OTEL_BSP_SCHEDULE_DELAY"
        );
        assert_eq!(
            bad_var(&[
                ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "20")
            ]),
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
        );
    }

    #[test]
    fn resource_sampler_exporter_and_batch() {
        let s = env(&[
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attrs,deployment.environment.name=prod%2Deu",
            ),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
            ("OTEL_TRACES_EXPORTER", "console"),
            ("OTEL_SDK_DISABLED", "TRUE"),
            ("OTEL_BSP_SCHEDULE_DELAY", "60000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "1500"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
        ])
        .unwrap();
        assert_eq!(s.service_name.as_deref(), Some("from-attrs"));
        assert_eq!(
            s.resource_attributes[1],
            KeyValue::new("deployment.environment.name", "prod-eu")
        );
        let sampler = format!("{:?}", s.sampler.unwrap());
        assert!(
            sampler.starts_with("ParentBased") && sampler.contains("TraceIdRatioBased(0.25)"),
            "{sampler}"
        );
        assert_eq!(s.exporter, Some(ExporterKind::Console));
        assert!(s.disabled);
        assert_eq!(s.schedule_delay, Some(Duration::from_secs(60)));
        assert_eq!(
            (s.max_queue_size, s.max_export_batch_size),
            (Some(100), Some(10))
        );
        assert_eq!(s.export_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(s.otlp.generic.compression, Some(None));
    }

    #[test]
    fn metrics_exporter_has_three_states() {
        let metrics = |v: &str| env(&[("OTEL_METRICS_EXPORTER", v)]).unwrap().metrics;
        assert_eq!(metrics("otlp"), Some(MetricsExporter::Otlp));
        assert_eq!(metrics("Console"), Some(MetricsExporter::Console));
        assert_eq!(metrics("logging"), Some(MetricsExporter::Console));
        assert_eq!(metrics("none"), Some(MetricsExporter::None));
        assert_eq!(env(&[]).unwrap().metrics, None);
        assert_eq!(
            bad_var(&[("OTEL_METRICS_EXPORTER", "prometheus")]),
            "OTEL_METRICS_EXPORTER"
        );
    }

    #[test]
    fn service_name_variable_beats_resource_attribute() {
        let s = env(&[
            ("OTEL_SERVICE_NAME", "svc"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=other"),
        ])
        .unwrap();
        assert_eq!(s.service_name.as_deref(), Some("svc"));
    }
}
