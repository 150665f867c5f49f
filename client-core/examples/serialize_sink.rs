//! What the ROCKETMQ header serialization saves a client: `SEND_MESSAGE_V2` requests (128 B
//! bodies, 16 in flight) from one `ClientInstance` to an in-process sink that answers every send
//! at once, with JSON and with ROCKETMQ headers alternated, printing msgs/s and the client's CPU
//! per message (the process's CPU time minus the sink thread's, from /proc).
//!
//! ```sh
//! cargo run --profile bench -p rmq-client-core --example serialize_sink -- --secs 3 --rounds 3
//! ```
//! The sink answers in the request's serialization, as a Java broker does
//! (`NettyRemotingAbstract`: `response.setSerializeTypeCurrentRPC(cmd...)`), so both the
//! request encoding and the response decoding change. Linux only (reads /proc).

use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rmq_client_core::{ClientConfig, ClientInstance};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::{Command, RequestCode, ResponseCode, SerializeType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const IN_FLIGHT: usize = 16;

fn main() -> Result<(), Box<dyn Error>> {
    let mut secs = 3u64;
    let mut rounds = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or("--secs and --rounds take a number")?;
        match arg.as_str() {
            "--secs" => secs = value.parse()?,
            "--rounds" => rounds = value.parse()?,
            _ => return Err(format!("unknown option {arg}").into()),
        }
    }
    let (addr, sink_tid) = start_sink()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("| round | headers | msgs | msgs/s | client CPU µs/msg |");
    println!("|---|---|---|---|---|");
    for round in 0..rounds {
        for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
            let process = cpu_ticks("/proc/self/stat")?;
            let sink = cpu_ticks(&format!("/proc/self/task/{sink_tid}/stat"))?;
            let started = Instant::now();
            let sent = runtime.block_on(send_for(&addr, serialize_type, round, secs))?;
            let elapsed = started.elapsed().as_secs_f64();
            let client = (cpu_ticks("/proc/self/stat")? - process)
                .saturating_sub(cpu_ticks(&format!("/proc/self/task/{sink_tid}/stat"))? - sink);
            let name = match serialize_type {
                SerializeType::Json => "JSON",
                _ => "ROCKETMQ",
            };
            println!(
                "| {round} | {name} | {sent} | {:.0} | {:.2} |",
                sent as f64 / elapsed,
                client as f64 / clock_ticks() * 1e6 / sent.max(1) as f64
            );
        }
    }
    Ok(())
}

/// Sends from `IN_FLIGHT` tasks for `secs` seconds; returns how many sends succeeded.
async fn send_for(
    addr: &str,
    serialize_type: SerializeType,
    round: usize,
    secs: u64,
) -> Result<u64, Box<dyn Error>> {
    let config = ClientConfig::builder()
        .namesrv(addr)
        .instance_name(format!("serialize_sink_{round}_{serialize_type:?}"))
        .read_env(false)
        .serialize_type(serialize_type)
        .build()?;
    let instance = ClientInstance::new(config)?;
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(secs);
    let body = Bytes::from(vec![b'x'; 128]);
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (instance, sent, body, addr) = (
                instance.clone(),
                sent.clone(),
                body.clone(),
                addr.to_owned(),
            );
            tokio::spawn(async move {
                while Instant::now() < stop {
                    let header = SendMessageRequestHeader {
                        producer_group: "bench".into(),
                        topic: "BenchmarkTest".into(),
                        default_topic: "TBW102".into(),
                        default_topic_queue_nums: 4,
                        queue_id: 0,
                        born_timestamp: 1_700_000_000_000,
                        properties: Some(
                            "UNIQ_KEY\u{1}7F0000010000000000000000000000\u{2}WAIT\u{1}true\u{2}"
                                .into(),
                        ),
                        ..SendMessageRequestHeader::default()
                    };
                    let result = instance
                        .api()
                        .send_message(
                            &addr,
                            "broker-a",
                            RequestCode::SEND_MESSAGE_V2,
                            header,
                            body.clone(),
                            Duration::from_secs(3),
                        )
                        .await;
                    if result.is_ok() {
                        sent.fetch_add(1, Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    instance.shutdown().await;
    Ok(sent.load(Relaxed))
}

/// Starts the sink on its own thread and runtime; returns its address and thread id.
fn start_sink() -> Result<(String, String), Box<dyn Error>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("sink".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let tid = std::fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()));
            let (Ok(runtime), Some(tid)) = (runtime, tid) else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
                    return;
                };
                let Ok(addr) = listener.local_addr() else {
                    return;
                };
                let _ = tx.send((addr.to_string(), tid));
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream));
                }
            });
        })?;
    Ok(rx.recv_timeout(Duration::from_secs(5))?)
}

/// Answers every request read at once, all answers to one read in one write.
async fn serve(mut stream: TcpStream) {
    let mut input = BytesMut::with_capacity(64 * 1024);
    let mut output = BytesMut::with_capacity(64 * 1024);
    while matches!(stream.read_buf(&mut input).await, Ok(n) if n > 0) {
        while let Ok(Some(request)) = decode_frame(&mut input, DEFAULT_MAX_FRAME) {
            if request.is_oneway() {
                continue;
            }
            let mut response = Command::response_to(&request, ResponseCode::SUCCESS, None);
            if request.request_code() == RequestCode::SEND_MESSAGE_V2 {
                response = response
                    .with_ext("msgId", "7F00000100002A9F0000000000000000")
                    .with_ext("queueId", "0")
                    .with_ext("queueOffset", "0");
            }
            if response.encode(&mut output).is_err() {
                return;
            }
        }
        if stream.write_all(&output).await.is_err() {
            return;
        }
        output.clear();
    }
}

/// utime + stime of a `/proc/.../stat` file, in clock ticks.
fn cpu_ticks(path: &str) -> Result<u64, Box<dyn Error>> {
    let stat = std::fs::read_to_string(path)?;
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> Result<u64, Box<dyn Error>> {
        Ok(fields.get(i).ok_or("short stat line")?.parse()?)
    };
    Ok(field(11)? + field(12)?)
}

/// Clock ticks per second (`getconf CLK_TCK`, else Linux's 100).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t: &f64| t > 0.0)
        .unwrap_or(100.0)
}
