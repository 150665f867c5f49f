//! ACL 2.0 (5.x): users and their access policies on each targeted broker (mqadmin's
//! `createUser` ... `listAcl`). A 4.x broker refuses these with
//! [`Error::Unsupported`](crate::Error::Unsupported).

use std::collections::BTreeMap;

use rmq_protocol::body::{AclInfo, UserInfo};

use crate::admin::{Admin, Target};
use crate::error::Result;
use crate::support::Role;

impl Admin {
    /// Creates `user` on each targeted broker (`createUser`); returns the addresses done.
    ///
    /// # Errors
    /// The first broker that refuses, named; an unknown cluster.
    pub async fn create_user(&self, target: &Target, user: &UserInfo) -> Result<Vec<String>> {
        let name = user.username.clone().unwrap_or_default();
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self.api().create_user(addr, user, self.timeout()).await;
            self.v5(
                Role::Broker,
                addr,
                "createUser (AUTH_CREATE_USER)",
                r,
                || format!("create user {name} on broker {addr}"),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// Changes `user`'s password, type or status on each targeted broker (`updateUser`).
    ///
    /// # Errors
    /// The first broker that refuses, named; an unknown cluster.
    pub async fn update_user(&self, target: &Target, user: &UserInfo) -> Result<Vec<String>> {
        let name = user.username.clone().unwrap_or_default();
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self.api().update_user(addr, user, self.timeout()).await;
            self.v5(
                Role::Broker,
                addr,
                "updateUser (AUTH_UPDATE_USER)",
                r,
                || format!("update user {name} on broker {addr}"),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// Deletes a user on each targeted broker (`deleteUser`).
    ///
    /// # Errors
    /// The first broker that refuses, named; an unknown cluster.
    pub async fn delete_user(&self, target: &Target, username: &str) -> Result<Vec<String>> {
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self.api().delete_user(addr, username, self.timeout()).await;
            self.v5(
                Role::Broker,
                addr,
                "deleteUser (AUTH_DELETE_USER)",
                r,
                || format!("delete user {username} on broker {addr}"),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// The user as each targeted broker knows it (`getUser`); `None` where it is unknown.
    ///
    /// # Errors
    /// The first broker that fails, named; an unknown cluster.
    pub async fn user(
        &self,
        target: &Target,
        username: &str,
    ) -> Result<BTreeMap<String, Option<UserInfo>>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self.api().user(&addr, username, self.timeout()).await;
            let user = self
                .v5(Role::Broker, &addr, "getUser (AUTH_GET_USER)", r, || {
                    format!("get user {username} from broker {addr}")
                })
                .await?;
            out.insert(addr, user);
        }
        Ok(out)
    }

    /// Each targeted broker's users, only those whose name contains `filter` when given
    /// (`listUser`).
    ///
    /// # Errors
    /// The first broker that fails, named; an unknown cluster.
    pub async fn list_users(
        &self,
        target: &Target,
        filter: Option<&str>,
    ) -> Result<BTreeMap<String, Vec<UserInfo>>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self.api().list_users(&addr, filter, self.timeout()).await;
            let users = self
                .v5(Role::Broker, &addr, "listUser (AUTH_LIST_USER)", r, || {
                    format!("list users of broker {addr}")
                })
                .await?;
            out.insert(addr, users);
        }
        Ok(out)
    }

    /// Adds `acl`'s policies on each targeted broker (`createAcl`).
    ///
    /// # Errors
    /// The first broker that refuses, named; an unknown cluster.
    pub async fn create_acl(&self, target: &Target, acl: &AclInfo) -> Result<Vec<String>> {
        let subject = acl.subject.clone().unwrap_or_default();
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self.api().create_acl(addr, acl, self.timeout()).await;
            self.v5(Role::Broker, addr, "createAcl (AUTH_CREATE_ACL)", r, || {
                format!("create the ACL of {subject} on broker {addr}")
            })
            .await?;
        }
        Ok(addrs)
    }

    /// Replaces the entries `acl` names on each targeted broker (`updateAcl`).
    ///
    /// # Errors
    /// The first broker that refuses, named; an unknown cluster.
    pub async fn update_acl(&self, target: &Target, acl: &AclInfo) -> Result<Vec<String>> {
        let subject = acl.subject.clone().unwrap_or_default();
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self.api().update_acl(addr, acl, self.timeout()).await;
            self.v5(Role::Broker, addr, "updateAcl (AUTH_UPDATE_ACL)", r, || {
                format!("update the ACL of {subject} on broker {addr}")
            })
            .await?;
        }
        Ok(addrs)
    }

    /// Deletes the subject's entry for `resource`, or all its policies, on each targeted
    /// broker (`deleteAcl`).
    ///
    /// # Errors
    /// The first broker that refuses, named; an unknown cluster.
    pub async fn delete_acl(
        &self,
        target: &Target,
        subject: &str,
        resource: Option<&str>,
    ) -> Result<Vec<String>> {
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self
                .api()
                .delete_acl(addr, subject, resource, self.timeout())
                .await;
            self.v5(Role::Broker, addr, "deleteAcl (AUTH_DELETE_ACL)", r, || {
                format!("delete the ACL of {subject} on broker {addr}")
            })
            .await?;
        }
        Ok(addrs)
    }

    /// The subject's policies on each targeted broker (`getAcl`); `None` where it has none.
    ///
    /// # Errors
    /// The first broker that fails, named; an unknown cluster.
    pub async fn acl(
        &self,
        target: &Target,
        subject: &str,
    ) -> Result<BTreeMap<String, Option<AclInfo>>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self.api().acl(&addr, subject, self.timeout()).await;
            let acl = self
                .v5(Role::Broker, &addr, "getAcl (AUTH_GET_ACL)", r, || {
                    format!("get the ACL of {subject} from broker {addr}")
                })
                .await?;
            out.insert(addr, acl);
        }
        Ok(out)
    }

    /// Each targeted broker's ACLs, filtered by subject and resource when given (`listAcl`).
    ///
    /// # Errors
    /// The first broker that fails, named; an unknown cluster.
    pub async fn list_acls(
        &self,
        target: &Target,
        subject_filter: Option<&str>,
        resource_filter: Option<&str>,
    ) -> Result<BTreeMap<String, Vec<AclInfo>>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self
                .api()
                .list_acls(&addr, subject_filter, resource_filter, self.timeout())
                .await;
            let acls = self
                .v5(Role::Broker, &addr, "listAcl (AUTH_LIST_ACL)", r, || {
                    format!("list the ACLs of broker {addr}")
                })
                .await?;
            out.insert(addr, acls);
        }
        Ok(out)
    }
}
