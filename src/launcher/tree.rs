//! The processes below this one, found through `/proc`, and ending them.
//!
//! A plugin can leave its process group (`setpgid`, `setsid`) and outlive its parent; killing
//! its group then misses those. But the console is a child subreaper, so such orphans come
//! back to it (and, once the console is gone, to its watchdog, see `watchdog`): whatever a
//! plugin started is still *below* us in the process tree, and [`kill_descendants`] finds it
//! there by parent links.
//!
//! What the console starts on the user's behalf and must outlive it (the browser `xdg-open`
//! starts for `o`) carries [`OPENER_ENV`] in its environment and is spared with all it starts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Set in the environment of what the console starts for the user (the URL opener): it and
/// its descendants are not the console's to end.
pub const OPENER_ENV: &str = "TGO_CONSOLE_OPENER";

/// One line of `/proc/<pid>/stat`, the fields we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
}

/// `state`, `ppid`, `pgrp` of a process, from `/proc/<pid>/stat`.
pub fn proc_stat(pid: u32) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat { state, ppid, pgrp })
}

/// A process's resident memory and CPU use, as the health line shows them.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ProcUsage {
    pub rss_bytes: u64,
    /// Share of one core since the previous sample (`None` at the first).
    pub cpu_percent: Option<f64>,
}

/// Samples [`ProcUsage`] from `/proc/<pid>/stat` and `statm`; CPU % needs two samples of a pid,
/// so it keeps the last one of each.
#[derive(Debug, Default)]
pub struct UsageSampler {
    last: HashMap<u32, (u64, Instant)>,
}

impl UsageSampler {
    /// The usage of each of `pids` still there; pids not asked about are forgotten.
    pub fn sample(&mut self, pids: &[u32], now: Instant) -> HashMap<u32, ProcUsage> {
        // SAFETY: sysconf(3) only reads a constant of the system.
        let (tick, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK).max(1) as f64,
                libc::sysconf(libc::_SC_PAGESIZE).max(1) as u64,
            )
        };
        self.last.retain(|pid, _| pids.contains(pid));
        let mut out = HashMap::new();
        for &pid in pids {
            let Some((cpu_ticks, rss_pages)) = cpu_and_rss(pid) else {
                self.last.remove(&pid);
                continue;
            };
            let cpu_percent = self.last.get(&pid).and_then(|&(ticks, at)| {
                let secs = now.saturating_duration_since(at).as_secs_f64();
                (secs > 0.0).then(|| cpu_ticks.saturating_sub(ticks) as f64 / tick / secs * 100.0)
            });
            self.last.insert(pid, (cpu_ticks, now));
            out.insert(
                pid,
                ProcUsage {
                    rss_bytes: rss_pages * page,
                    cpu_percent,
                },
            );
        }
        out
    }
}

/// utime + stime (clock ticks) from `/proc/<pid>/stat`, resident pages from `statm`.
fn cpu_and_rss(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "(comm)": state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let rss: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some((utime + stime, rss))
}

fn is_opener(pid: u32) -> bool {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let marker = format!("{OPENER_ENV}=");
    env.split(|b| *b == 0)
        .any(|var| var.starts_with(marker.as_bytes()))
}

/// Every process below `root` (children, their children, …) as `(pid, stat)`, parents before
/// children; openers and what they started are left out. A snapshot: processes come and go.
pub fn descendants(root: u32) -> Vec<(u32, ProcStat)> {
    let mut children: HashMap<i32, Vec<(u32, ProcStat)>> = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(stat) = proc_stat(pid) {
            children.entry(stat.ppid).or_default().push((pid, stat));
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        let Ok(parent) = i32::try_from(parent) else {
            continue;
        };
        for &(pid, stat) in children.get(&parent).into_iter().flatten() {
            if is_opener(pid) {
                continue;
            }
            found.push((pid, stat));
            queue.push(pid);
        }
    }
    found
}

/// SIGKILLs every process below `root` until none is left (a process that forks meanwhile
/// is caught on the next pass) or `within` has passed. Zombies among our own children are
/// reaped when `root` is this process. Returns how many processes were killed.
pub fn kill_descendants(root: u32, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    let me = std::process::id();
    let mut killed = std::collections::HashSet::new();
    loop {
        let below = descendants(root);
        if root == me {
            for (pid, stat) in &below {
                if stat.ppid == me as i32 && stat.state == 'Z' {
                    // SAFETY: waitpid(2) on one of our own children, not blocking.
                    unsafe {
                        libc::waitpid(*pid as i32, std::ptr::null_mut(), libc::WNOHANG);
                    }
                }
            }
        }
        let live: Vec<u32> = below
            .iter()
            .filter(|(_, s)| !matches!(s.state, 'Z' | 'X'))
            .map(|(pid, _)| *pid)
            .collect();
        if live.is_empty() || Instant::now() >= deadline {
            return killed.len();
        }
        for pid in live {
            // SAFETY: kill(2) on a process found below us.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
            killed.insert(pid);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_this_process_has_memory_and_then_cpu() {
        let me = std::process::id();
        let mut sampler = UsageSampler::default();
        let t0 = Instant::now();
        let first = sampler.sample(&[me, u32::MAX], t0);
        assert_eq!(first.len(), 1, "a pid that is not there is left out");
        assert!(first[&me].rss_bytes > 0);
        assert_eq!(first[&me].cpu_percent, None, "one sample gives no rate");
        let second = sampler.sample(&[me], t0 + Duration::from_secs(1));
        assert!(second[&me].cpu_percent.is_some_and(|c| c >= 0.0));
    }
}
