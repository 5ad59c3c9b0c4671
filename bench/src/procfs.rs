//! CPU time and memory of processes, from `/proc` (Linux).

use std::collections::BTreeMap;

use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on every Linux we run on).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `utime + stime` of a process in seconds, and its command name.
pub fn cpu_seconds(pid: u32, ticks: f64) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces; fields after it are space separated.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
    // Fields 14 and 15 of stat(5) (utime, stime) are at 11 and 12 after the state field.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((comm, (utime + stime) / ticks))
}

/// Peak and current resident memory of a process, in MiB (`VmHWM`, `VmRSS`).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Memory {
    pub peak_rss_mib: f64,
    pub rss_mib: f64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<f64> {
        status
            .lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some(Memory {
        peak_rss_mib: kib("VmHWM:")? / 1024.0,
        rss_mib: kib("VmRSS:")? / 1024.0,
    })
}

/// CPU seconds of every process on the machine, summed by command name (`postgres`, `nats-server`, …), so a
/// phase can be attributed to the processes that did its work, including PostgreSQL's backends.
pub fn cpu_by_command(ticks: f64) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return totals;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some((comm, seconds)) = cpu_seconds(pid, ticks) {
            *totals.entry(comm).or_insert(0.0) += seconds;
        }
    }
    totals
}

/// Busy CPU seconds of the whole machine (all cores), from `/proc/stat`.
pub fn machine_busy_seconds(ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let values: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
    let busy: f64 = values
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
        .map(|(_, v)| v)
        .sum();
    Some(busy / ticks)
}

/// A snapshot to subtract from a later one.
#[derive(Debug, Clone, Default)]
pub struct CpuSnapshot {
    pub by_command: BTreeMap<String, f64>,
    pub machine: f64,
}

impl CpuSnapshot {
    pub fn take(ticks: f64) -> Self {
        Self {
            by_command: cpu_by_command(ticks),
            machine: machine_busy_seconds(ticks).unwrap_or(0.0),
        }
    }

    /// CPU seconds spent since `earlier`, by command (processes that exited in between are lost, hence the
    /// clamp), plus `"(machine)"` for the whole machine.
    pub fn since(&self, earlier: &Self) -> BTreeMap<String, f64> {
        let mut delta: BTreeMap<String, f64> = self
            .by_command
            .iter()
            .map(|(comm, now)| {
                let before = earlier.by_command.get(comm).copied().unwrap_or(0.0);
                (comm.clone(), (now - before).max(0.0))
            })
            .filter(|(_, seconds)| *seconds > 0.0)
            .collect();
        delta.insert(
            "(machine)".into(),
            (self.machine - earlier.machine).max(0.0),
        );
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let ticks = clock_ticks();
        let (comm, seconds) = cpu_seconds(std::process::id(), ticks).expect("own stat");
        assert!(!comm.is_empty());
        assert!(seconds >= 0.0);
        let memory = memory(std::process::id()).expect("own status");
        assert!(memory.peak_rss_mib >= memory.rss_mib * 0.99);
    }
}
