//! Work done once per cluster: a named [`Lease`] that one replica holds at
//! a time ([`Leases`]), with a small state its holder saves for the next
//! one (a poller's watermark), and [`while_held`], which runs a piece of
//! work whenever this replica holds its lease.
//!
//! [`Local`] is the one-process implementation: every lease is held at
//! once and never lost. The SQL adapter holds leases across replicas on
//! PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use tokio::sync::watch;

use crate::Result;

/// Saves a lease's state while it is held.
#[async_trait]
pub trait Keeper: Send + Sync {
    /// Stores `state` for the next holder; fails when the lease is lost.
    async fn save(&self, state: &str) -> Result<()>;

    /// Checks that the lease is still held (for a remote lease, a round
    /// trip): a holder that was frozen learns here that it lost the lease
    /// before acting on it. Fails when it is lost.
    async fn confirm(&self) -> Result<()>;
}

/// A lease this replica holds, until it is dropped or lost.
pub struct Lease {
    held: watch::Receiver<bool>,
    state: Option<String>,
    keeper: Box<dyn Keeper>,
}

impl Lease {
    /// A lease held while `held` says so, which the previous holder left
    /// with `state`.
    pub fn new(
        held: watch::Receiver<bool>,
        state: Option<String>,
        keeper: Box<dyn Keeper>,
    ) -> Self {
        Self {
            held,
            state,
            keeper,
        }
    }

    /// The state the previous holder saved last.
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// Saves `state` for the next holder.
    pub async fn save(&self, state: &str) -> Result<()> {
        self.keeper.save(state).await
    }

    /// Checks the lease is still held, before work that must be done once
    /// (publishing what a poll found).
    pub async fn confirm(&self) -> Result<()> {
        self.keeper.confirm().await
    }

    /// Whether it is still held.
    pub fn held(&self) -> bool {
        *self.held.borrow()
    }

    /// Completes when the lease is lost.
    pub fn lost(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut held = self.held.clone();
        async move {
            // A dropped sender (the keeper ended) is a loss too.
            let _ = held.wait_for(|held| !*held).await;
        }
    }
}

/// Named leases, each held by one replica at a time.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Waits until this replica holds `name`.
    async fn acquire(&self, name: &str) -> Lease;

    /// Whether other replicas may hold leases (false: this process is the
    /// only one).
    fn clustered(&self) -> bool;
}

/// Runs `work` whenever this replica holds the lease `name`: waits for it,
/// runs the work until the lease is lost (the work is then dropped, and
/// the wait starts again) or the work ends (then this ends too).
pub async fn while_held<W, F>(leases: Arc<dyn Leases>, name: &str, mut work: W)
where
    W: FnMut(Arc<Lease>) -> F,
    F: Future<Output = ()>,
{
    loop {
        let lease = Arc::new(leases.acquire(name).await);
        if leases.clustered() {
            tracing::info!(
                lease = name,
                "this replica holds the lease and does its work"
            );
        }
        let lost = lease.lost();
        // Held here for as long as the work runs, whatever the work keeps.
        tokio::select! {
            () = work(lease.clone()) => return,
            () = lost => {
                tracing::warn!(lease = name, "the lease was lost: its work stops here until it is held again");
            }
        }
    }
}

/// One process: leases are held at once and never lost; states live in
/// memory.
#[derive(Default)]
pub struct Local {
    states: Arc<Mutex<HashMap<String, String>>>,
}

struct LocalKeeper {
    name: String,
    states: Arc<Mutex<HashMap<String, String>>>,
    /// Keeps the lease held.
    _held: watch::Sender<bool>,
}

#[async_trait]
impl Keeper for LocalKeeper {
    async fn save(&self, state: &str) -> Result<()> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(self.name.clone(), state.to_string());
        Ok(())
    }

    async fn confirm(&self) -> Result<()> {
        Ok(())
    }
}

#[async_trait]
impl Leases for Local {
    async fn acquire(&self, name: &str) -> Lease {
        let state = self
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned();
        let (held, watching) = watch::channel(true);
        let keeper = LocalKeeper {
            name: name.to_string(),
            states: self.states.clone(),
            _held: held,
        };
        Lease::new(watching, state, Box::new(keeper))
    }

    fn clustered(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_local_lease_is_held_at_once_and_hands_its_state_on() {
        let leases: Arc<dyn Leases> = Arc::new(Local::default());
        let first = leases.acquire("poller").await;
        assert!(first.held());
        assert_eq!(first.state(), None);
        first.save("mark 1").await.unwrap();
        drop(first);
        let second = leases.acquire("poller").await;
        assert_eq!(second.state(), Some("mark 1"));
        assert_eq!(leases.acquire("other").await.state(), None);
    }

    #[tokio::test]
    async fn the_lease_stays_held_while_the_work_runs_whatever_the_work_keeps() {
        let leases: Arc<dyn Leases> = Arc::new(Local::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let task = tokio::spawn(while_held(leases, "poller", move |lease| {
            drop(lease);
            counted.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>()
        }));
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the work was started again");
        task.abort();
    }

    /// Leases lost twice, then held for good.
    struct Flaky {
        tries: AtomicUsize,
    }

    #[async_trait]
    impl Leases for Flaky {
        async fn acquire(&self, name: &str) -> Lease {
            let try_number = self.tries.fetch_add(1, Ordering::SeqCst);
            let (held, watching) = watch::channel(true);
            if try_number < 2 {
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    held.send_replace(false);
                });
                let keeper = LocalKeeper {
                    name: name.into(),
                    states: Arc::default(),
                    _held: watch::channel(true).0,
                };
                Lease::new(watching, None, Box::new(keeper))
            } else {
                let keeper = LocalKeeper {
                    name: name.into(),
                    states: Arc::default(),
                    _held: held,
                };
                Lease::new(watching, Some("kept".into()), Box::new(keeper))
            }
        }

        fn clustered(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn work_stops_when_its_lease_is_lost_and_starts_again_when_held() {
        let leases: Arc<dyn Leases> = Arc::new(Flaky {
            tries: AtomicUsize::new(0),
        });
        let started = Arc::new(AtomicUsize::new(0));
        let counted = started.clone();
        while_held(leases, "poller", move |lease| {
            let started = counted.clone();
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                if lease.state() == Some("kept") {
                    // Held for good: the work ends by itself.
                    return;
                }
                std::future::pending::<()>().await;
            }
        })
        .await;
        assert_eq!(started.load(Ordering::SeqCst), 3);
    }
}
