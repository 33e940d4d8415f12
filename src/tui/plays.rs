//! A story being played (and the requests a story or a path restore waits for): the data
//! `playing` and `restore` drive.

use super::msg::{CapKey, Purpose};
use super::story::{StepMark, StoryFile, StoryKey};
use crate::host::{ConnId, Reply};
use crate::scenario::{Player, Prepared, Scenario};
use std::path::PathBuf;
use std::sync::Arc;

/// A request a story or a path restore waits for. It is told apart from the others by its
/// plugin, method and purpose until the host says which id it got ([`Awaited::sent`]); the
/// driver sends one request at a time, so that is unambiguous.
#[derive(Clone, Debug, PartialEq)]
pub struct Awaited {
    pub plugin_id: String,
    pub method: String,
    pub purpose: Purpose,
    pub id: Option<(ConnId, u64)>,
}

impl Awaited {
    pub fn new(plugin_id: &str, method: &str, purpose: Purpose) -> Self {
        Self {
            plugin_id: plugin_id.to_string(),
            method: method.to_string(),
            purpose,
            id: None,
        }
    }

    /// A request went out: when it is this one, its id is noted.
    pub fn sent(
        &mut self,
        plugin_id: &str,
        method: &str,
        purpose: &Purpose,
        conn: ConnId,
        id: u64,
    ) -> bool {
        let ours = self.id.is_none()
            && self.plugin_id == plugin_id
            && self.method == method
            && self.purpose == *purpose;
        if ours {
            self.id = Some((conn, id));
        }
        ours
    }

    /// Whether `reply` answers this request.
    pub fn answered_by(&self, reply: &Reply) -> bool {
        self.id.is_some_and(|(_, id)| id == reply.id) && self.plugin_id == reply.plugin_id
    }

    /// Whether a request that could not be sent at all was this one.
    pub fn refused(&self, purpose: &Purpose) -> bool {
        self.id.is_none() && self.purpose == *purpose
    }
}

/// A story being played, or the last one played (its marks stay in the render header).
#[derive(Clone, Debug)]
pub struct Play {
    /// Tells its judged steps from a story played before it.
    pub id: u64,
    pub key: StoryKey,
    pub name: String,
    pub scenario: Arc<Scenario>,
    /// What the steps act on: the scenario player, fed with every answer.
    pub player: Player,
    /// The capability its last render step showed.
    pub cap: Option<CapKey>,
    /// The next step to send.
    pub step: usize,
    pub marks: Vec<StepMark>,
    /// The step's request on its way, and what it was prepared as.
    pub awaiting: Option<(Awaited, Prepared)>,
    /// The step's answer is being judged (off the UI loop).
    pub judging: bool,
    pub done: bool,
}

impl Play {
    pub fn passed(&self) -> usize {
        self.marks.iter().filter(|m| m.passed == Some(true)).count()
    }

    pub fn failed(&self) -> usize {
        self.marks
            .iter()
            .filter(|m| m.passed == Some(false))
            .count()
    }
}

/// The stories found and the one played.
#[derive(Debug, Default)]
pub struct Stories {
    /// Scenario files by the directory of the manifest they were found beside.
    pub found: std::collections::BTreeMap<PathBuf, Vec<StoryFile>>,
    pub play: Option<Play>,
    /// The id the next play gets.
    pub next_play: u64,
    /// The last outcome of each story file played: passed or not.
    pub results: std::collections::BTreeMap<PathBuf, bool>,
}
