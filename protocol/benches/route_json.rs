//! Parsing a TopicRouteData with 2 brokers (master + slave each) and 8 queues each, in the
//! standard JSON a >= 4.9.4 name server sends to version-407 clients and in fastjson's default
//! form with bare numeric keys (older name servers, cluster info), which takes the rewrite path.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rmq_protocol::body::{to_standard_json, JsonBody, TopicRouteData};

const FASTJSON: &str = concat!(
    r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"#,
    r#""brokerName":"broker-a","cluster":"DefaultCluster"},"#,
    r#"{"brokerAddrs":{0:"10.0.0.3:10911",1:"10.0.0.4:10911"},"#,
    r#""brokerName":"broker-b","cluster":"DefaultCluster"}],"filterServerTable":{},"#,
    r#""queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8},"#,
    r#"{"brokerName":"broker-b","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#,
);

fn route_json(c: &mut Criterion) {
    let fastjson = FASTJSON.as_bytes().to_vec();
    let standard = match to_standard_json(&fastjson) {
        Ok(standard) => standard,
        Err(e) => panic!("bench input must rewrite: {e}"),
    };
    let mut group = c.benchmark_group("route_json");
    group.throughput(Throughput::Bytes(standard.len() as u64));
    group.bench_function("standard", |b| {
        b.iter(|| TopicRouteData::from_json(black_box(&standard)).map(|r| r.queue_datas.len()))
    });
    group.bench_function("fastjson", |b| {
        b.iter(|| TopicRouteData::from_json(black_box(&fastjson)).map(|r| r.queue_datas.len()))
    });
    group.bench_function("rewrite_only", |b| {
        b.iter(|| to_standard_json(black_box(&fastjson)).map(|v| v.len()))
    });
    group.finish();
}

criterion_group!(benches, route_json);
criterion_main!(benches);
