//! Sends a few messages on an embedded cluster with the `metrics` feature on, then prints what
//! a Prometheus scrape of this process would read: the OpenTelemetry-named instruments of
//! `rmq_client_core::telemetry` (send durations and message counts by topic and broker).
//!
//! `cargo run -p rmq-client-producer --features metrics --example prometheus`
//!
//! The exporter is this example's choice (a dev-dependency); the library only records through
//! the `metrics` facade. A service would serve `handle.render()` on its `/metrics` endpoint.

use metrics_exporter_prometheus::PrometheusBuilder;
use rmq_client_core::telemetry;
use rmq_client_producer::{Message, Producer};
use rmq_testkit::MockCluster;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Install the recorder before the first send, then describe the instruments to it. The
    // durations become histograms with the bucket boundaries the semantic conventions advise.
    let handle = PrometheusBuilder::new()
        .set_buckets(telemetry::DURATION_BUCKETS)?
        .install_recorder()?;
    telemetry::describe_metrics();

    let cluster = MockCluster::builder().start().await?;
    cluster.create_topic("MetricsDemo", 4);
    let producer = Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group("prometheus_example")
        .build()
        .await?;
    for i in 0..20 {
        producer
            .send(&Message::new("MetricsDemo", format!("hello {i}")))
            .await?;
    }
    producer.shutdown().await;
    cluster.shutdown().await;

    print!("{}", handle.render());
    Ok(())
}
