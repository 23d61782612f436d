//! CI has no Docker: validate docker-compose.yml (and the collector config) by parsing them.

use serde_yaml_ng::Value;

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path)
        .unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn ports(service: &Value) -> Vec<String> {
    service["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn compose_runs_jaeger_v2_with_otlp_and_ui_ports() {
    let compose = load("docker-compose.yml");
    let jaeger = &compose["services"]["jaeger"];
    let image = jaeger["image"].as_str().unwrap();
    let tag = image
        .strip_prefix("jaegertracing/jaeger:")
        .expect("the Jaeger v2 image");
    assert!(tag.starts_with("2."), "Jaeger v2 expected, got {image}");
    let ports = ports(jaeger);
    for port in ["4317:4317", "4318:4318", "16686:16686"] {
        assert!(
            ports.iter().any(|p| p == port),
            "missing {port} in {ports:?}"
        );
    }
    // Jaeger itself is not behind a profile: `docker compose up -d` starts it.
    assert!(jaeger.get("profiles").is_none());
}

#[test]
fn collector_profile_forwards_to_jaeger() {
    let compose = load("docker-compose.yml");
    let collector = &compose["services"]["otel-collector"];
    assert_eq!(collector["profiles"][0].as_str(), Some("collector"));
    let host_ports: Vec<String> = ports(collector)
        .iter()
        .map(|p| p.split(':').next().unwrap().to_owned())
        .collect();
    // No clash with Jaeger's host ports.
    for clash in ["4317", "4318", "16686"] {
        assert!(!host_ports.iter().any(|p| p == clash), "{host_ports:?}");
    }
    let mounted = collector["volumes"][0].as_str().unwrap();
    assert!(mounted.starts_with("./otel-collector.yaml:"));

    let config = load("otel-collector.yaml");
    assert_eq!(
        config["exporters"]["otlp/jaeger"]["endpoint"].as_str(),
        Some("jaeger:4317")
    );
    let pipeline = &config["service"]["pipelines"]["traces"];
    assert_eq!(pipeline["receivers"][0].as_str(), Some("otlp"));
    let processors: Vec<&str> = pipeline["processors"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for p in &processors {
        assert!(
            config["processors"].get(*p).is_some(),
            "processor {p} is not defined"
        );
    }
    assert!(processors.contains(&"tail_sampling") && processors.last() == Some(&"batch"));
}
