//! The tasks a node cannot run without (its health endpoint, its API, its
//! chain follower, its store writer): if any of them ends, for whatever
//! reason, the node stops with an error naming it, rather than run on
//! half-alive.

use futures::future::select_all;
use std::{fmt::Display, future::Future};
use tokio::task::JoinHandle;

/// The essential tasks, by name.
#[derive(Debug, Default)]
pub(crate) struct Essential {
    tasks: Vec<(&'static str, JoinHandle<Result<(), String>>)>,
}

impl Essential {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Runs `task` as the essential `name`; it is meant to run as long as
    /// the node does.
    pub(crate) fn spawn<F, E>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Display,
    {
        let handle = tokio::spawn(async move { task.await.map_err(|e| e.to_string()) });
        self.tasks.push((name, handle));
    }

    /// Waits until one of the tasks ends and says which and how. Pending
    /// forever when there is none.
    pub(crate) async fn ended(&mut self) -> eyre::Report {
        if self.tasks.is_empty() {
            return std::future::pending().await;
        }
        let handles = self.tasks.iter_mut().map(|(_, h)| h);
        let (outcome, index, _) = select_all(handles).await;
        let (name, _) = self.tasks.remove(index);
        match outcome {
            Ok(Ok(())) => eyre::eyre!("the {name} stopped"),
            Ok(Err(e)) => eyre::eyre!("the {name} failed: {e}"),
            Err(e) if e.is_panic() => eyre::eyre!("the {name} panicked"),
            Err(e) => eyre::eyre!("the {name} was cancelled: {e}"),
        }
    }

    /// Stops every task still running.
    pub(crate) fn abort_all(&mut self) {
        for (_, handle) in self.tasks.drain(..) {
            handle.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn forever() -> Result<(), String> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }

    #[tokio::test]
    async fn the_first_task_to_end_is_named_whatever_ends_it() {
        let mut e = Essential::new();
        e.spawn("health endpoint", forever());
        e.spawn("API server", async { Err::<(), _>("address in use") });
        let report = e.ended().await.to_string();
        assert_eq!(report, "the API server failed: address in use");

        let mut e = Essential::new();
        e.spawn("health endpoint", forever());
        e.spawn("chain follower", async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok::<(), String>(())
        });
        assert_eq!(e.ended().await.to_string(), "the chain follower stopped");

        let mut e = Essential::new();
        e.spawn("store writer", async {
            if true {
                panic!("writer died");
            }
            Ok::<(), String>(())
        });
        e.spawn("API server", forever());
        assert_eq!(e.ended().await.to_string(), "the store writer panicked");
        e.abort_all();
    }

    #[tokio::test]
    async fn with_nothing_essential_nothing_ends() {
        let mut e = Essential::new();
        let waited = tokio::time::timeout(Duration::from_millis(50), e.ended()).await;
        assert!(waited.is_err());
    }
}
