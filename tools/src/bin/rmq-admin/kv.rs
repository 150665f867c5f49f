//! Name-server commands: `updateKvConfig`, `deleteKvConfig`, `getNamesrvConfig`,
//! `updateNamesrvConfig`.

use clap::Subcommand;
use rmq_client_admin::Admin;

use crate::{CliResult, Output};

// The variants are named after the mqadmin commands they implement.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create or update KV config.
    #[command(name = "updateKvConfig")]
    UpdateKvConfig {
        /// Set the namespace.
        #[arg(short = 's', long = "namespace")]
        namespace: String,
        /// Set the key name.
        #[arg(short = 'k', long = "key")]
        key: String,
        /// Set the key value.
        #[arg(short = 'v', long = "value")]
        value: String,
    },
    /// Delete KV config.
    #[command(name = "deleteKvConfig")]
    DeleteKvConfig {
        /// Set the namespace.
        #[arg(short = 's', long = "namespace")]
        namespace: String,
        /// Set the key name.
        #[arg(short = 'k', long = "key")]
        key: String,
    },
    /// Get configs of name server.
    #[command(name = "getNamesrvConfig")]
    GetNamesrvConfig,
    /// Update configs of name server.
    #[command(name = "updateNamesrvConfig")]
    UpdateNamesrvConfig {
        /// Config key.
        #[arg(short = 'k', long = "key")]
        key: String,
        /// Config value.
        #[arg(short = 'v', long = "value")]
        value: String,
    },
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::UpdateKvConfig {
                namespace,
                key,
                value,
            } => {
                admin.put_kv_config(&namespace, &key, &value).await?;
                out.line("update kv config in namespace success.");
                out.json(&serde_json::json!({ "namespace": namespace, "key": key, "value": value }))
            }
            Cmd::DeleteKvConfig { namespace, key } => {
                admin.delete_kv_config(&namespace, &key).await?;
                out.line("delete kv config from namespace success.");
                out.json(&serde_json::json!({ "namespace": namespace, "key": key }))
            }
            Cmd::GetNamesrvConfig => {
                let configs = admin.namesrv_config().await?;
                for (ns, config) in &configs {
                    out.line(format!("============{ns}============"));
                    for (k, v) in config {
                        out.line(format!("{k:<50}=  {v}"));
                    }
                }
                out.json(&configs)
            }
            Cmd::UpdateNamesrvConfig { key, value } => {
                let addrs = admin.update_namesrv_config(&key, &value).await?;
                out.line(format!("update name server config success!{addrs:?}"));
                out.line(format!("{key} : {value}"));
                out.json(&serde_json::json!({ "namesrv": addrs, "key": key, "value": value }))
            }
        }
    }
}
