//! The in-memory IAM-sync state of each (project_id, cluster_id).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use mrs_iam_sync::types::UpdateSyncIamUserRequest;

use crate::Config;

/// A running synchronization task.
#[derive(Debug, Clone)]
struct Task {
    ends_at: Instant,
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
}

/// One cluster's state, as seen from one project.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClusterState {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    synchronized: bool,
    task: Option<Task>,
}

/// Why a sync could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SyncRefused {
    /// A task is already running.
    AlreadyRunning,
    /// Names that are not IAM users / groups of the configuration.
    Unknown {
        users: Vec<String>,
        groups: Vec<String>,
    },
}

impl ClusterState {
    /// Complete the running task if its time has come.
    fn settle(&mut self, now: Instant) {
        if let Some(task) = self.task.take_if(|t| now >= t.ends_at) {
            self.users.extend(task.users);
            self.groups.extend(task.groups);
            self.synchronized = true;
        }
    }

    pub(crate) fn is_synchronizing(&mut self, now: Instant) -> bool {
        self.settle(now);
        self.task.is_some()
    }

    pub(crate) fn is_synchronous(&mut self, now: Instant) -> bool {
        self.settle(now);
        self.synchronized
    }

    /// The synchronized users and groups, sorted.
    pub(crate) fn principals(&mut self, now: Instant) -> (Vec<String>, Vec<String>) {
        self.settle(now);
        (
            self.users.iter().cloned().collect(),
            self.groups.iter().cloned().collect(),
        )
    }

    pub(crate) fn start_sync(
        &mut self,
        req: &UpdateSyncIamUserRequest,
        config: &Config,
        now: Instant,
        duration: Duration,
    ) -> Result<(), SyncRefused> {
        self.settle(now);
        if self.task.is_some() {
            return Err(SyncRefused::AlreadyRunning);
        }
        let mut users = BTreeSet::new();
        let mut groups = BTreeSet::new();
        if req.is_all_sync {
            // The spec: with is_all_sync the lists are ignored.
            for u in &config.iam_users {
                users.insert(u.name.clone());
                groups.extend(u.groups.iter().cloned());
            }
            groups.extend(config.iam_groups.iter().cloned());
        } else {
            let mut unknown_users = Vec::new();
            let mut unknown_groups = Vec::new();
            for name in &req.user_names {
                match config.iam_users.iter().find(|u| &u.name == name) {
                    Some(u) => {
                        users.insert(u.name.clone());
                        groups.extend(u.groups.iter().cloned());
                    }
                    None if !unknown_users.contains(name) => unknown_users.push(name.clone()),
                    None => {}
                }
            }
            for name in &req.group_names {
                if config.iam_groups.contains(name)
                    || config.iam_users.iter().any(|u| u.groups.contains(name))
                {
                    groups.insert(name.clone());
                } else if !unknown_groups.contains(name) {
                    unknown_groups.push(name.clone());
                }
            }
            if !unknown_users.is_empty() || !unknown_groups.is_empty() {
                return Err(SyncRefused::Unknown {
                    users: unknown_users,
                    groups: unknown_groups,
                });
            }
        }
        self.task = Some(Task {
            ends_at: now + duration,
            users,
            groups,
        });
        self.settle(now);
        Ok(())
    }

    /// Remove the named principals, from the synchronized sets and from a
    /// running task (so they do not come back when it ends).
    pub(crate) fn cancel(&mut self, users: &[String], groups: &[String], now: Instant) {
        self.settle(now);
        for u in users {
            self.users.remove(u);
            if let Some(t) = &mut self.task {
                t.users.remove(u);
            }
        }
        for g in groups {
            self.groups.remove(g);
            if let Some(t) = &mut self.task {
                t.groups.remove(g);
            }
        }
    }

    /// End a running task now.
    pub(crate) fn finish_now(&mut self, now: Instant) {
        if let Some(t) = &mut self.task {
            t.ends_at = now;
        }
        self.settle(now);
    }
}

/// All clusters' states, keyed by (project_id, cluster_id).
#[derive(Debug, Default)]
pub(crate) struct States {
    map: HashMap<(String, String), ClusterState>,
}

impl States {
    pub(crate) fn get(&mut self, project_id: &str, cluster_id: &str) -> &mut ClusterState {
        self.map
            .entry((project_id.to_owned(), cluster_id.to_owned()))
            .or_default()
    }

    pub(crate) fn finish_all_now(&mut self, now: Instant) {
        for s in self.map.values_mut() {
            s.finish_now(now);
        }
    }
}
