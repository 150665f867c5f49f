//! ACL 2.0 commands (5.x): `createUser`, `updateUser`, `deleteUser`, `getUser`, `listUser`,
//! `createAcl`, `updateAcl`, `deleteAcl`, `getAcl`, `listAcl`, with mqadmin's options and
//! tables.

use clap::{Args, Subcommand};
use rmq_client_admin::Admin;
use rmq_protocol::body::{AclInfo, UserInfo};

use crate::cluster::TargetArgs;
use crate::{CliResult, Output};

/// mqadmin's user table row (`ListUserSubCommand.FORMAT`).
fn user_row(name: &str, password: &str, user_type: &str, status: &str) -> String {
    format!("{name:<16}  {password:<22}  {user_type:<22}  {status:<22}")
        .trim_end()
        .to_owned()
}

/// mqadmin's ACL table row (`ListAclSubCommand.FORMAT`).
fn acl_row(cells: [&str; 6]) -> String {
    let [subject, policy_type, resource, actions, ips, decision] = cells;
    format!("{subject:<16}  {policy_type:<10}  {resource:<22}  {actions:<20}  {ips:<24}  {decision:<10}")
        .trim_end()
        .to_owned()
}

/// The `--resources`/`--actions`/`--sourceIp` lists: comma separated, blanks dropped.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Options of `createAcl` / `updateAcl`.
#[derive(Debug, Args)]
pub struct AclArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The subject of the ACL, e.g. User:alice.
    #[arg(short = 's', long = "subject")]
    subject: String,
    /// The resources, comma separated, e.g. Topic:orders,Group:g.
    #[arg(short = 'r', long = "resources")]
    resources: String,
    /// The actions, comma separated: Pub,Sub,Create,Update,Delete,Get,List,All.
    #[arg(short = 'a', long = "actions")]
    actions: String,
    /// The source IPs, comma separated.
    #[arg(short = 'i', long = "sourceIp")]
    source_ip: Option<String>,
    /// The decision: Allow or Deny.
    #[arg(short = 'd', long = "decision")]
    decision: String,
}

impl AclArgs {
    fn acl(&self) -> AclInfo {
        AclInfo::of(
            self.subject.clone(),
            &list(Some(&self.resources)),
            &list(Some(&self.actions)),
            &list(self.source_ip.as_deref()),
            self.decision.clone(),
        )
    }
}

// The variants are named after the mqadmin commands they implement.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create user to cluster.
    #[command(name = "createUser")]
    CreateUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to create.
        #[arg(short = 'u', long = "username")]
        username: String,
        /// The password of user to create.
        #[arg(short = 'p', long = "password")]
        password: String,
        /// The userType of user to create: Super or Normal.
        #[arg(short = 't', long = "userType")]
        user_type: Option<String>,
    },
    /// Update user to cluster.
    #[command(name = "updateUser")]
    UpdateUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to update.
        #[arg(short = 'u', long = "username")]
        username: String,
        /// The password of user to update.
        #[arg(short = 'p', long = "password")]
        password: Option<String>,
        /// The userType of user to update.
        #[arg(short = 't', long = "userType")]
        user_type: Option<String>,
        /// The userStatus of user to update: enable or disable.
        #[arg(short = 's', long = "userStatus")]
        user_status: Option<String>,
    },
    /// Delete user from cluster.
    #[command(name = "deleteUser")]
    DeleteUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to delete.
        #[arg(short = 'u', long = "username")]
        username: String,
    },
    /// Get user from cluster.
    #[command(name = "getUser")]
    GetUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to get.
        #[arg(short = 'u', long = "username")]
        username: String,
    },
    /// List user from cluster.
    #[command(name = "listUser")]
    ListUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The filter to list users.
        #[arg(short = 'f', long = "filter")]
        filter: Option<String>,
    },
    /// Create acl to cluster.
    #[command(name = "createAcl")]
    CreateAcl(AclArgs),
    /// Update acl to cluster.
    #[command(name = "updateAcl")]
    UpdateAcl(AclArgs),
    /// Delete acl from cluster.
    #[command(name = "deleteAcl")]
    DeleteAcl {
        #[command(flatten)]
        target: TargetArgs,
        /// The subject of acl to delete.
        #[arg(short = 's', long = "subject")]
        subject: String,
        /// The resource of acl to delete (all of the subject's when absent).
        #[arg(short = 'r', long = "resources")]
        resource: Option<String>,
    },
    /// Get acl from cluster.
    #[command(name = "getAcl")]
    GetAcl {
        #[command(flatten)]
        target: TargetArgs,
        /// The subject of acl to get.
        #[arg(short = 's', long = "subject")]
        subject: String,
    },
    /// List acl from cluster.
    #[command(name = "listAcl")]
    ListAcl {
        #[command(flatten)]
        target: TargetArgs,
        /// The subject of acl to filter.
        #[arg(short = 's', long = "subject")]
        subject: Option<String>,
        /// The resource of acl to filter.
        #[arg(short = 'r', long = "resource")]
        resource: Option<String>,
    },
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::CreateUser {
                target,
                username,
                password,
                user_type,
            } => {
                let user = UserInfo {
                    username: Some(username.clone()),
                    password: Some(password),
                    user_type,
                    user_status: None,
                };
                let addrs = admin.create_user(&target.target()?, &user).await?;
                done(out, &addrs, &format!("create user {username}"))
            }
            Cmd::UpdateUser {
                target,
                username,
                password,
                user_type,
                user_status,
            } => {
                let user = UserInfo {
                    username: Some(username.clone()),
                    password,
                    user_type,
                    user_status,
                };
                let addrs = admin.update_user(&target.target()?, &user).await?;
                done(out, &addrs, &format!("update user {username}"))
            }
            Cmd::DeleteUser { target, username } => {
                let addrs = admin.delete_user(&target.target()?, &username).await?;
                done(out, &addrs, &format!("delete user {username}"))
            }
            Cmd::GetUser { target, username } => {
                let users = admin.user(&target.target()?, &username).await?;
                out.line(user_row(
                    "#UserName",
                    "#Password",
                    "#UserType",
                    "#UserStatus",
                ));
                for user in users.values().flatten() {
                    print_user(out, user);
                }
                out.json(&users)
            }
            Cmd::ListUser { target, filter } => {
                let users = admin
                    .list_users(&target.target()?, filter.as_deref())
                    .await?;
                out.line(user_row(
                    "#UserName",
                    "#Password",
                    "#UserType",
                    "#UserStatus",
                ));
                for user in users.values().flatten() {
                    print_user(out, user);
                }
                out.json(&users)
            }
            Cmd::CreateAcl(args) => {
                let addrs = admin
                    .create_acl(&args.target.target()?, &args.acl())
                    .await?;
                done(out, &addrs, &format!("create acl of {}", args.subject))
            }
            Cmd::UpdateAcl(args) => {
                let addrs = admin
                    .update_acl(&args.target.target()?, &args.acl())
                    .await?;
                done(out, &addrs, &format!("update acl of {}", args.subject))
            }
            Cmd::DeleteAcl {
                target,
                subject,
                resource,
            } => {
                let addrs = admin
                    .delete_acl(&target.target()?, &subject, resource.as_deref())
                    .await?;
                done(out, &addrs, &format!("delete acl of {subject}"))
            }
            Cmd::GetAcl { target, subject } => {
                let acls = admin.acl(&target.target()?, &subject).await?;
                print_acls(out, acls.values().flatten());
                out.json(&acls)
            }
            Cmd::ListAcl {
                target,
                subject,
                resource,
            } => {
                let acls = admin
                    .list_acls(&target.target()?, subject.as_deref(), resource.as_deref())
                    .await?;
                print_acls(out, acls.values().flatten());
                out.json(&acls)
            }
        }
    }
}

fn done(out: &mut Output, addrs: &[String], what: &str) -> CliResult<()> {
    for addr in addrs {
        out.line(format!("{what} to {addr} success."));
    }
    out.json(&serde_json::json!({ "updated": addrs }))
}

fn print_user(out: &mut Output, user: &UserInfo) {
    let cell = |v: &Option<String>| v.clone().unwrap_or_default();
    out.line(user_row(
        &cell(&user.username),
        &cell(&user.password),
        &cell(&user.user_type),
        &cell(&user.user_status),
    ));
}

fn print_acls<'a>(out: &mut Output, acls: impl Iterator<Item = &'a AclInfo>) {
    out.line(acl_row([
        "#Subject",
        "#PolicyType",
        "#Resource",
        "#Actions",
        "#SourceIp",
        "#Decision",
    ]));
    for acl in acls {
        let subject = acl.subject.as_deref().unwrap_or_default();
        if acl.policies.is_empty() {
            out.line(acl_row([subject, "", "", "", "", ""]));
        }
        for policy in &acl.policies {
            for entry in &policy.entries {
                out.line(acl_row([
                    subject,
                    policy.policy_type.as_deref().unwrap_or_default(),
                    entry.resource.as_deref().unwrap_or_default(),
                    &entry.actions.join(","),
                    &entry.source_ips.join(","),
                    entry.decision.as_deref().unwrap_or_default(),
                ]));
            }
        }
    }
}
