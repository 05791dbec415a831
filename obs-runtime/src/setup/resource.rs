//! The OpenTelemetry resource every span and log record carries: `service.name`,
//! `service.version`, `deployment.environment.name`, further attributes, and the SDK's own.

use super::config::Config;
use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

pub(super) fn resource(config: &Config) -> Resource {
    let mut attributes = vec![KeyValue::new("service.name", config.service_name.clone())];
    if let Some(version) = &config.service_version {
        attributes.push(KeyValue::new("service.version", version.clone()));
    }
    if let Some(commit) = config.build.as_ref().and_then(|b| b.commit.as_ref()) {
        attributes.push(KeyValue::new(crate::names::VCS_REF_HEAD_REVISION, commit.clone()));
    }
    if let Some(environment) = &config.environment {
        attributes.push(KeyValue::new("deployment.environment.name", environment.clone()));
    }
    attributes.extend(
        config.resource_attributes.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    Resource::builder_empty()
        .with_detector(Box::new(opentelemetry_sdk::resource::TelemetryResourceDetector))
        .with_attributes(attributes)
        .build()
}

/// The resource as OTLP's message, for the metrics push.
pub(super) fn proto(resource: &Resource) -> opentelemetry_proto::tonic::resource::v1::Resource {
    let attributes =
        opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema::from(resource);
    opentelemetry_proto::tonic::resource::v1::Resource {
        attributes: attributes.attributes.0,
        dropped_attributes_count: 0,
        entity_refs: Vec::new(),
    }
}
