//! Builders of [`PushConsumer`](crate::PushConsumer) and [`PullConsumer`](crate::PullConsumer):
//! by-value setters with Java's defaults; a bad value is kept and reported by `build`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq_client_core::{ClientConfig, ClientInstance};
use rmq_protocol::body::{ConsumeType, MessageModel};
use rmq_protocol::naming;

use crate::allocate::AllocateStrategy;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::options::{ConsumeFrom, Options};
use crate::state::core::Core;
use crate::state::offset_store::{local::LocalFile, Backend, OffsetStore};

/// What both builders collect.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) config: Option<ClientConfig>,
    pub(crate) namesrv: Option<String>,
    pub(crate) opts: Options,
    pub(crate) subs: Vec<(String, Filter)>,
    pub(crate) error: Option<String>,
}

impl Settings {
    pub(crate) fn new() -> Self {
        Settings {
            config: None,
            namesrv: None,
            opts: Options::new(String::new()),
            subs: Vec::new(),
            error: None,
        }
    }

    /// Validates, starts (or joins) the client instance and builds the consumer's state.
    pub(crate) async fn open(self, consume_type: ConsumeType) -> Result<Arc<Core>> {
        if let Some(e) = self.error {
            return Err(Error::Config(e));
        }
        self.opts.validate().map_err(Error::Config)?;
        let mut config = match (self.config, self.namesrv) {
            (Some(c), _) => c,
            (None, Some(ns)) => ClientConfig::builder().namesrv(ns).build()?,
            (None, None) => ClientConfig::builder().build()?,
        };
        config.resolve_instance_name();
        let ns = config.namespace().map(str::to_owned);
        let mut opts = self.opts;
        opts.group = naming::wrap_namespace(ns.as_deref(), &opts.group);
        let instance = ClientInstance::shared(config)?;
        instance.start().await?;
        let backend = match opts.model {
            MessageModel::Clustering => Backend::Remote {
                instance: instance.clone(),
                group: opts.group.clone(),
            },
            MessageModel::Broadcasting => {
                let dir = opts
                    .offset_dir
                    .clone()
                    .unwrap_or_else(LocalFile::default_dir);
                Backend::Local(LocalFile::new(&dir, instance.client_id(), &opts.group))
            }
        };
        let store = OffsetStore::new(backend);
        store.load()?;
        let clustering = opts.model == MessageModel::Clustering;
        let retry_topic = naming::retry_topic(&opts.group);
        let core = Arc::new(Core::new(instance, opts, consume_type, store));
        let version = now_ms();
        {
            let mut subs = core
                .subs
                .write()
                .map_err(|_| Error::Config("poisoned".into()))?;
            for (topic, filter) in self.subs {
                let topic = naming::wrap_namespace(ns.as_deref(), &topic);
                subs.insert(topic.clone(), filter.to_subscription(&topic, version));
            }
            // Java: a clustering push consumer also consumes its group's retry topic.
            if clustering && consume_type == ConsumeType::Passively {
                subs.insert(
                    retry_topic.clone(),
                    Filter::All.to_subscription(&retry_topic, version),
                );
            }
        }
        Ok(core)
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Builds a [`PushConsumer`](crate::PushConsumer).
///
/// ```no_run
/// use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
/// # async fn demo() -> rmq_client_consumer::Result<()> {
/// let consumer = PushConsumer::builder()
///     .namesrv("127.0.0.1:9876")
///     .group("orders-consumer")
///     .subscribe("Orders", Filter::tags(["created", "paid"]))
///     .build()
///     .await?;
/// consumer
///     .start(|msgs: Vec<ReceivedMessage>| async move {
///         println!("{} messages", msgs.len());
///         ConsumeResult::Success
///     })
///     .await?;
/// // ...
/// consumer.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PushConsumerBuilder {
    pub(crate) s: Settings,
}

macro_rules! common_setters {
    () => {
        /// The client config (name servers, instance name, timeouts...). Default: built from
        /// [`namesrv`](Self::namesrv), else from the `NAMESRV_ADDR` environment variable.
        pub fn client_config(mut self, config: ClientConfig) -> Self {
            self.s.config = Some(config);
            self
        }

        /// Name-server addresses, `;`-separated; ignored when a client config is given.
        pub fn namesrv(mut self, addrs: impl Into<String>) -> Self {
            self.s.namesrv = Some(addrs.into());
            self
        }

        /// The consumer group (required).
        pub fn group(mut self, group: impl Into<String>) -> Self {
            self.s.opts.group = group.into();
            self
        }

        /// Subscribes to `topic` with `filter`; call once per topic.
        pub fn subscribe(mut self, topic: impl Into<String>, filter: Filter) -> Self {
            self.s.subs.push((topic.into(), filter));
            self
        }

        /// Clustering (default: each message to one consumer of the group, offsets on the
        /// broker) or broadcasting (each message to every consumer, offsets in a local file).
        pub fn message_model(mut self, model: MessageModel) -> Self {
            self.s.opts.model = model;
            self
        }

        /// Where a group without a committed offset starts. Default:
        /// [`ConsumeFrom::LastOffset`].
        pub fn consume_from(mut self, from: ConsumeFrom) -> Self {
            self.s.opts.consume_from = from;
            self
        }

        /// How queues are split among the group. Default: [`Averagely`](crate::Averagely).
        pub fn allocate(mut self, strategy: impl AllocateStrategy) -> Self {
            self.s.opts.allocate = Arc::new(strategy);
            self
        }

        /// Messages per pull request. Default 32.
        pub fn pull_batch_size(mut self, n: i32) -> Self {
            self.s.opts.pull_batch_size = n;
            self
        }

        /// Pause after each pull that found messages. Default: none.
        pub fn pull_interval(mut self, d: Duration) -> Self {
            self.s.opts.pull_interval = d;
            self
        }

        /// Cached messages per queue above which pulling pauses. Default 1000.
        pub fn pull_threshold_for_queue(mut self, n: usize) -> Self {
            self.s.opts.queue_count_limit = n;
            self
        }

        /// Cached body bytes per queue above which pulling pauses. Default 100 MiB.
        pub fn pull_threshold_size_for_queue(mut self, bytes: u64) -> Self {
            self.s.opts.queue_bytes_limit = bytes;
            self
        }

        /// Cached messages per topic (all its queues) above which pulling pauses. Default: no
        /// limit.
        pub fn pull_threshold_for_topic(mut self, n: usize) -> Self {
            self.s.opts.topic_count_limit = Some(n);
            self
        }

        /// Cached body bytes per topic above which pulling pauses. Default: no limit.
        pub fn pull_threshold_size_for_topic(mut self, bytes: u64) -> Self {
            self.s.opts.topic_bytes_limit = Some(bytes);
            self
        }

        /// How long the broker holds a pull when nothing is new (long polling). Default 15 s.
        pub fn long_polling_suspend(mut self, d: Duration) -> Self {
            self.s.opts.broker_suspend = d;
            self.s.opts.pull_timeout = self.s.opts.pull_timeout.max(d + Duration::from_secs(5));
            self
        }

        /// Directory of the broadcasting offset file. Default `~/.rocketmq_offsets`.
        pub fn offset_store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
            self.s.opts.offset_dir = Some(dir.into());
            self
        }

        /// Message trace (Java's `enableMsgTrace`): SubBefore and SubAfter records go to the
        /// trace topic, batched in the background: around every listener call of a push
        /// consumer; for every pulled batch of a pull consumer, both at once with success, as
        /// Java's lite pull consumer writes them. A full trace queue drops records, never
        /// delays consumption. Default off.
        pub fn enable_trace(mut self, on: bool) -> Self {
            self.s.opts.trace_topic = match (on, self.s.opts.trace_topic.take()) {
                (false, _) => None,
                (true, topic) => Some(topic.unwrap_or_else(|| naming::TRACE_TOPIC.to_owned())),
            };
            self
        }

        /// Message trace to `topic` instead of `RMQ_SYS_TRACE_TOPIC` (Java's
        /// `customizedTraceTopic`); turns trace on.
        pub fn trace_topic(mut self, topic: impl Into<String>) -> Self {
            self.s.opts.trace_topic = Some(topic.into());
            self
        }
    };
}

impl PushConsumerBuilder {
    common_setters!();

    /// Listener calls running at once, over all queues. Default 20.
    pub fn consume_concurrency(mut self, n: usize) -> Self {
        self.s.opts.concurrency = n;
        self
    }

    /// Messages per listener call. Default 1.
    pub fn consume_batch_size(mut self, n: usize) -> Self {
        self.s.opts.consume_batch_size = n;
        self
    }

    /// Largest offset distance between the oldest and newest cached message of a queue before
    /// pulling pauses (concurrent only). Default 2000.
    pub fn max_span(mut self, span: i64) -> Self {
        self.s.opts.max_span = span;
        self
    }

    /// Deliveries after which a failing message goes to `%DLQ%group`. Default 16 (orderly:
    /// unlimited).
    pub fn max_reconsume_times(mut self, n: i32) -> Self {
        self.s.opts.max_reconsume_times = Some(n);
        self
    }

    /// How long one listener call may run. Past it the batch counts as failed and is sent back
    /// for redelivery (delay level 3, as Java's `cleanExpireMsg` does), so the offset moves on;
    /// the call is not cancelled, it is left to finish and its result ignored. Orderly
    /// listeners are cancelled instead. Default 15 min.
    pub fn consume_timeout(mut self, d: Duration) -> Self {
        self.s.opts.consume_timeout = d;
        self
    }

    /// How long an orderly queue waits after `SuspendCurrentQueue`. Default 1 s.
    pub fn suspend_current_queue_time(mut self, d: Duration) -> Self {
        self.s.opts.suspend_time = d;
        self
    }

    /// How long shutdown waits for running listeners before aborting them. Default 10 s.
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.s.opts.drain_timeout = d;
        self
    }

    /// Send the subscription with every pull (Java's `postSubscriptionWhenPull`). Default off.
    pub fn post_subscription_when_pull(mut self, on: bool) -> Self {
        self.s.opts.post_subscription_when_pull = on;
        self
    }

    /// Validates the settings and starts (or joins) the client instance. The consumer
    /// consumes nothing until [`start`](crate::PushConsumer::start).
    ///
    /// # Errors
    /// [`Error::Config`] for invalid settings (no group, no subscription...); the instance's
    /// start errors.
    pub async fn build(self) -> Result<crate::PushConsumer> {
        if self.s.subs.is_empty() {
            return Err(Error::Config("subscribe to at least one topic".into()));
        }
        let core = self.s.open(ConsumeType::Passively).await?;
        Ok(crate::PushConsumer::from_core(core))
    }
}

/// Builds a [`PullConsumer`](crate::PullConsumer).
#[derive(Debug)]
pub struct PullConsumerBuilder {
    pub(crate) s: Settings,
    pub(crate) buffer: usize,
}

impl PullConsumerBuilder {
    common_setters!();

    /// Commit what earlier polls returned automatically (at the next poll, persisted every
    /// `persist_consumer_offset_interval`). Default on; when off, call
    /// [`commit`](crate::PullConsumer::commit).
    pub fn auto_commit(mut self, on: bool) -> Self {
        self.s.opts.auto_commit = on;
        self
    }

    /// Pull results buffered for [`poll`](crate::PullConsumer::poll). Default 64.
    pub fn poll_buffer(mut self, batches: usize) -> Self {
        self.buffer = batches.max(1);
        self
    }

    /// Validates, starts (or joins) the client instance and registers the consumer; with
    /// subscriptions it starts pulling the queues rebalance gives it.
    ///
    /// # Errors
    /// [`Error::Config`] for invalid settings; the instance's start errors.
    pub async fn build(self) -> Result<crate::PullConsumer> {
        let buffer = self.buffer;
        let core = self.s.open(ConsumeType::Actively).await?;
        crate::PullConsumer::start(core, buffer).await
    }
}
