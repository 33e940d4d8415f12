//! Who is connected: live connections by id, and every registration (kept after disconnect so
//! the UI can grey it out). A registration is bound to its connection, so a replaced
//! connection's close can never unregister the plugin that replaced it.

use super::conn::Conn;
use super::log::ConnId;
use super::register::PluginInfo;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

/// Registrations no longer connected that are kept for display.
const MAX_GONE_RECORDS: usize = 256;

/// Where a registration stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PluginState {
    Connected,
    /// A newer connection registered the same id.
    Replaced {
        by_conn: ConnId,
    },
    Disconnected {
        reason: String,
    },
}

/// One registration.
#[derive(Clone, Debug, Serialize)]
pub struct PluginRecord {
    pub plugin_id: String,
    pub conn: ConnId,
    pub peer: String,
    /// The registering process (Unix sockets only).
    pub pid: Option<u32>,
    pub info: PluginInfo,
    pub state: PluginState,
    #[serde(skip)]
    pub registered_at: SystemTime,
}

#[derive(Default)]
pub(crate) struct Registry {
    records: Vec<PluginRecord>,
    conns: HashMap<ConnId, Arc<Conn>>,
}

impl Registry {
    pub fn add_conn(&mut self, conn: Arc<Conn>) {
        self.conns.insert(conn.id, conn);
    }

    pub fn remove_conn(&mut self, id: ConnId) {
        self.conns.remove(&id);
    }

    pub fn conns(&self) -> Vec<Arc<Conn>> {
        self.conns.values().cloned().collect()
    }

    /// Records a registration; returns the connection it replaces, if any.
    pub fn register(&mut self, record: PluginRecord) -> Option<Arc<Conn>> {
        let mut replaced = None;
        for old in &mut self.records {
            if old.plugin_id == record.plugin_id && old.state == PluginState::Connected {
                old.state = PluginState::Replaced {
                    by_conn: record.conn,
                };
                replaced = self.conns.get(&old.conn).cloned();
            }
        }
        self.records.push(record);
        self.prune();
        replaced
    }

    /// Marks the registration bound to `conn` as disconnected, unless it was already replaced.
    pub fn disconnected(&mut self, conn: ConnId, reason: &str) -> Option<String> {
        let rec = self.records.iter_mut().rev().find(|r| r.conn == conn)?;
        if rec.state == PluginState::Connected {
            rec.state = PluginState::Disconnected {
                reason: reason.to_string(),
            };
        }
        Some(rec.plugin_id.clone())
    }

    /// The live connection serving `plugin_id`.
    pub fn active(&self, plugin_id: &str) -> Option<(PluginRecord, Arc<Conn>)> {
        let rec = self
            .records
            .iter()
            .rev()
            .find(|r| r.plugin_id == plugin_id && r.state == PluginState::Connected)?;
        Some((rec.clone(), self.conns.get(&rec.conn)?.clone()))
    }

    /// The live connection serving `plugin_id`, without copying its registration.
    pub fn active_conn(&self, plugin_id: &str) -> Option<Arc<Conn>> {
        let rec = self
            .records
            .iter()
            .rev()
            .find(|r| r.plugin_id == plugin_id && r.state == PluginState::Connected)?;
        self.conns.get(&rec.conn).cloned()
    }

    pub fn records(&self) -> Vec<PluginRecord> {
        self.records.clone()
    }

    fn prune(&mut self) {
        let gone = self
            .records
            .iter()
            .filter(|r| r.state != PluginState::Connected)
            .count();
        let mut excess = gone.saturating_sub(MAX_GONE_RECORDS);
        self.records.retain(|r| {
            if excess > 0 && r.state != PluginState::Connected {
                excess -= 1;
                false
            } else {
                true
            }
        });
    }
}
