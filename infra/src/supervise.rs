//! Supervision of a service's long-running tasks (consumer loops, collectors, watchers, HTTP endpoints). A task
//! that ends or panics before shutdown is either restarted with backoff, or, when it keeps failing (or is one
//! the service cannot work without), makes the service unready and stops it, so that the orchestrator restarts
//! the process. A service never runs on with part of its work silently stopped.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures::FutureExt;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::parse_duration;

/// How often a task may be restarted before the service gives up.
#[derive(Clone, Debug, Args)]
pub struct SupervisionArgs {
    /// Restarts of one failing task (a consumer loop, a collector...) allowed within TASK_RESTART_WINDOW;
    /// one more makes the service unready and exits it, for the orchestrator to restart.
    #[arg(long, env = "TASK_RESTART_LIMIT", default_value_t = 5)]
    pub task_restart_limit: u32,
    /// The window TASK_RESTART_LIMIT counts restarts in.
    #[arg(long, env = "TASK_RESTART_WINDOW", default_value = "5m", value_parser = parse_duration)]
    pub task_restart_window: Duration,
}

impl SupervisionArgs {
    pub fn policy(&self) -> RestartPolicy {
        RestartPolicy {
            max_restarts: self.task_restart_limit,
            window: self.task_restart_window,
            ..RestartPolicy::default()
        }
    }
}

#[derive(Clone, Debug)]
pub struct RestartPolicy {
    pub max_restarts: u32,
    pub window: Duration,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            window: Duration::from_secs(300),
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Whether the service can do all of its work; `/readyz` answers 503 with the reason once it cannot.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<Mutex<Option<String>>>);

impl Readiness {
    pub fn fail(&self, reason: impl Into<String>) {
        let mut failed = self.0.lock().unwrap_or_else(|e| e.into_inner());
        failed.get_or_insert_with(|| reason.into());
    }

    /// Why the service is not ready, if a task failed for good.
    pub fn failure(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A task stopped for good: the service stops and reports this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task `{task}` failed: {reason}")]
pub struct TaskFailed {
    pub task: String,
    pub reason: String,
}

/// The first task that failed for good, and a signal for whoever waits on it.
#[derive(Default)]
struct Failure {
    first: Mutex<Option<TaskFailed>>,
    signal: CancellationToken,
}

impl Failure {
    fn report(&self, readiness: &Readiness, task: &str, reason: String) {
        tracing::error!(task, %reason, "task failed for good; the service stops");
        readiness.fail(format!("task `{task}` failed: {reason}"));
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert_with(|| TaskFailed {
            task: task.to_owned(),
            reason,
        });
        self.signal.cancel();
    }
}

/// Runs a service's long-running tasks until `shutdown`, watching each.
pub struct Supervisor {
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
    readiness: Readiness,
    policy: RestartPolicy,
    failure: Arc<Failure>,
}

impl Supervisor {
    /// `shutdown` is the token the tasks stop on; the supervisor itself never cancels it.
    pub fn new(shutdown: CancellationToken, readiness: Readiness, policy: RestartPolicy) -> Self {
        Self {
            tasks: JoinSet::new(),
            shutdown,
            readiness,
            policy,
            failure: Arc::default(),
        }
    }

    /// A task that is restarted (a new future from `make`) with growing delays whenever it returns or panics
    /// before shutdown; more than `max_restarts` within `window` stops the service.
    pub fn restarting<F, Fut>(&mut self, name: impl Into<String>, mut make: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let name = name.into();
        let shutdown = self.shutdown.clone();
        let readiness = self.readiness.clone();
        let failure = self.failure.clone();
        let policy = self.policy.clone();
        self.tasks.spawn(async move {
            let mut restarts: VecDeque<Instant> = VecDeque::new();
            loop {
                let ended = AssertUnwindSafe(make()).catch_unwind().await;
                if shutdown.is_cancelled() {
                    return;
                }
                let reason = ended.map_or_else(|panic| panic_reason(&*panic), |()| "returned".into());
                let now = Instant::now();
                while restarts
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > policy.window)
                {
                    restarts.pop_front();
                }
                if restarts.len() >= policy.max_restarts as usize {
                    let reason = format!(
                        "{reason}, after {} restarts within {:?}",
                        restarts.len(),
                        policy.window
                    );
                    failure.report(&readiness, &name, reason);
                    return;
                }
                restarts.push_back(now);
                let delay = crate::retry::backoff_delay(
                    restarts.len() as u64,
                    policy.min_delay,
                    policy.max_delay,
                );
                tracing::error!(task = %name, %reason, restart = restarts.len(), ?delay, "task stopped; restarting it");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        });
    }

    /// A task the service cannot work without and cannot restart (an endpoint bound to its listener): ending or
    /// panicking before shutdown stops the service.
    pub fn critical<Fut>(&mut self, name: impl Into<String>, task: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let name = name.into();
        let shutdown = self.shutdown.clone();
        let readiness = self.readiness.clone();
        let failure = self.failure.clone();
        self.tasks.spawn(async move {
            let ended = AssertUnwindSafe(task).catch_unwind().await;
            if !shutdown.is_cancelled() {
                let reason =
                    ended.map_or_else(|panic| panic_reason(&*panic), |()| "returned".into());
                failure.report(&readiness, &name, reason);
            }
        });
    }

    /// Waits until shutdown is requested (`Ok`) or a task fails for good (`Err`, the service is unready from
    /// then on). Either way the caller then cancels the tasks' token and [`Supervisor::drain`]s.
    pub async fn watch(&self) -> Result<(), TaskFailed> {
        tokio::select! {
            () = self.shutdown.cancelled() => Ok(()),
            () = self.failure.signal.cancelled() => {
                let first = self.failure.first.lock().unwrap_or_else(|e| e.into_inner()).clone();
                Err(first.unwrap_or_else(|| TaskFailed { task: "unknown".into(), reason: "failed".into() }))
            }
        }
    }

    /// Waits for every task to finish, at most `timeout`; the rest are aborted. Returns whether all finished.
    pub async fn drain(mut self, timeout: Duration) -> bool {
        let finished = tokio::time::timeout(timeout, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await
        .is_ok();
        if !finished {
            self.tasks.abort_all();
        }
        finished
    }
}

fn panic_reason(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".into());
    format!("panicked: {message}")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn quick(max_restarts: u32) -> RestartPolicy {
        RestartPolicy {
            max_restarts,
            window: Duration::from_secs(60),
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    #[tokio::test]
    async fn a_task_that_fails_now_and_then_is_restarted_and_the_service_stays_ready() {
        let shutdown = CancellationToken::new();
        let readiness = Readiness::default();
        let mut supervisor = Supervisor::new(shutdown.clone(), readiness.clone(), quick(3));
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let stop = shutdown.clone();
        supervisor.restarting("flaky", move || {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            let stop = stop.clone();
            async move {
                match run {
                    0 => panic!("injected"),
                    1 => {}
                    _ => stop.cancelled().await,
                }
            }
        });
        // Printing the panic (with a backtrace) can take a while: wait for the third run.
        for _ in 0..500 {
            if runs.load(Ordering::SeqCst) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!(readiness.failure(), None);
        shutdown.cancel();
        assert_eq!(supervisor.watch().await, Ok(()));
        assert!(supervisor.drain(Duration::from_secs(1)).await);
    }

    #[tokio::test]
    async fn a_task_that_keeps_failing_makes_the_service_unready_and_stops_it() {
        let shutdown = CancellationToken::new();
        let readiness = Readiness::default();
        let mut supervisor = Supervisor::new(shutdown.clone(), readiness.clone(), quick(2));
        supervisor.restarting("broken", || async { panic!("injected") });
        let healthy = shutdown.clone();
        supervisor.restarting("healthy", move || {
            let healthy = healthy.clone();
            async move { healthy.cancelled().await }
        });
        let failed = tokio::time::timeout(Duration::from_secs(5), supervisor.watch())
            .await
            .expect("the failure is reported");
        let failed = failed.expect_err("a task failed");
        assert_eq!(failed.task, "broken");
        assert!(failed.reason.contains("panicked: injected"), "{failed}");
        assert!(readiness
            .failure()
            .is_some_and(|reason| reason.contains("broken")));
        shutdown.cancel();
        assert!(supervisor.drain(Duration::from_secs(1)).await);
    }

    #[tokio::test]
    async fn a_critical_task_that_ends_early_stops_the_service() {
        let shutdown = CancellationToken::new();
        let readiness = Readiness::default();
        let mut supervisor = Supervisor::new(shutdown.clone(), readiness.clone(), quick(5));
        supervisor.critical("endpoint", async {});
        let failed = tokio::time::timeout(Duration::from_secs(5), supervisor.watch())
            .await
            .expect("reported");
        assert_eq!(
            failed,
            Err(TaskFailed {
                task: "endpoint".into(),
                reason: "returned".into()
            })
        );
        assert!(readiness.failure().is_some());
    }

    #[tokio::test]
    async fn tasks_that_end_with_the_shutdown_are_not_failures() {
        let shutdown = CancellationToken::new();
        let readiness = Readiness::default();
        let mut supervisor = Supervisor::new(shutdown.clone(), readiness.clone(), quick(0));
        let stop = shutdown.clone();
        supervisor.critical("endpoint", async move { stop.cancelled().await });
        let stop = shutdown.clone();
        supervisor.restarting("loop", move || {
            let stop = stop.clone();
            async move { stop.cancelled().await }
        });
        shutdown.cancel();
        assert_eq!(supervisor.watch().await, Ok(()));
        assert!(supervisor.drain(Duration::from_secs(1)).await);
        assert_eq!(readiness.failure(), None);
    }
}
