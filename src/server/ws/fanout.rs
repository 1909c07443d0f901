//! Identical subscriptions share one execution.
//!
//! Thousands of WebSocket subscribers often run the same subscription as
//! the same principal (a user's tabs and devices, an integrator's fleet on
//! one service identity). Their results are identical: the same document
//! and variables, resolved for the same entitlements. So they form a
//! [`Group`]: the subscription runs once, each result is serialised once,
//! and the group writes it to every member's socket itself (see
//! [`super::socket`]), which is what keeps a subscriber's memory and an
//! event's fan-out small. What is not a result (a refusal, the end) goes
//! to each member's connection, which answers it.
//!
//! Members differ only in their tokens' expiry, which each connection
//! enforces itself (it completes its operations and closes 4401); the
//! group's own execution therefore runs without an expiry. Access is
//! re-checked inside the execution for every event, as for a single
//! subscriber, and it applies to every member alike since they share the
//! principal. Different principals never share a group.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_graphql::Data;
use axum::extract::ws::Message;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use super::protocol::Writer;
use super::socket::{Offered, Outlet};
use crate::auth::Caller;
use crate::graphql::SwitchboardSchema;
use crate::server::graphql_http::{Answer, is_request_error, response_body, without_panics};

/// Refusals a member's connection may fall behind by (there is at most
/// one; the channel's slots are allocated up front, per group).
const CAPACITY: usize = 2;

/// Members one task writes a result to; a larger group's writes are
/// spread over several tasks, so every core takes part.
const WRITES_PER_TASK: usize = 512;

/// How often a group with no member left notices and stops.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// Whether a serialised result says its subscription started well (it
/// carries no errors).
pub fn started_well(payload: &str) -> bool {
    !payload.contains("\"errors\":")
}

/// One result of a group's execution, serialised once.
#[derive(Debug, Clone)]
pub enum Item {
    /// A `next` payload (a serialised GraphQL response).
    Next(Arc<str>),
    /// The subscription was refused before it ran: its errors, a JSON array.
    Refused(Arc<str>),
}

/// What makes subscriptions identical: the principal and the operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// The key of `caller` running `request`.
    pub fn of(caller: &Caller, request: &async_graphql::Request) -> Self {
        let mut hash = Sha256::new();
        let principal = &caller.principal;
        for part in [
            caller.issuer.as_str(),
            principal.user.id.as_str(),
            if principal.operator { "operator" } else { "" },
            if caller.may_write { "writer" } else { "" },
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        for e in &principal.entitlements {
            hash.update(format!("{}:{}\n", e.account_id, e.role.as_str()));
        }
        hash.update([0]);
        for account in caller.scope.accounts() {
            hash.update(account.as_bytes());
            hash.update([0]);
        }
        hash.update(request.query.as_bytes());
        hash.update([0]);
        hash.update(request.operation_name.as_deref().unwrap_or("").as_bytes());
        hash.update([0]);
        hash.update(serde_json::to_string(&request.variables).unwrap_or_default());
        Self(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// One operation of one connection, as a member of a group.
pub struct Member {
    outlet: Arc<dyn Outlet>,
    id: Arc<str>,
    writer: Writer,
    /// Cleared by the connection when the operation ends there ([`end`]):
    /// no frame of it is written after (checked under the socket's lock).
    ///
    /// [`end`]: Member::end
    wanted: AtomicBool,
    /// The operation's name, for the metrics.
    name: Option<String>,
    /// Whether a result reached it (counted once, as the operation starts).
    delivered: AtomicBool,
}

impl Member {
    /// Operation `id` (named `name`), written to `outlet` with `writer`.
    pub fn new(
        outlet: Arc<dyn Outlet>,
        id: Arc<str>,
        writer: Writer,
        name: Option<String>,
    ) -> Self {
        Self {
            outlet,
            id,
            writer,
            wanted: AtomicBool::new(true),
            name,
            delivered: AtomicBool::new(false),
        }
    }

    /// The operation ended at its connection: nothing more is written.
    pub fn end(&self) {
        self.wanted.store(false, Ordering::Release);
    }

    /// A result reached the member: the first one counts the operation
    /// as started, well or not.
    pub fn delivered(&self, started_well: bool) {
        if self.first_delivery() {
            crate::metrics::subscription(self.name.as_deref(), started_well);
        }
    }

    /// Whether this is the first result to reach the member.
    fn first_delivery(&self) -> bool {
        !self.delivered.swap(true, Ordering::AcqRel)
    }

    /// Writes result `payload` to the member's socket.
    fn write(&self, payload: &str) -> Offered {
        self.outlet.offer(&mut || {
            self.wanted
                .load(Ordering::Acquire)
                .then(|| Message::Text(self.writer.next(&self.id, payload).into()))
        })
    }
}

/// One shared execution and its members.
struct Group {
    /// Taken when the execution ends, which closes the channel. It carries
    /// what members' connections answer themselves: a refusal.
    sender: Mutex<Option<broadcast::Sender<Item>>>,
    /// Once the execution has ended: its only result, when it had just one
    /// (a refusal, or an error from the subscription's own checks), for
    /// members who joined after it was sent.
    last_word: Mutex<Option<Item>>,
    /// The members results are written to, by number.
    members: Mutex<HashMap<u64, Arc<Member>>>,
    joined: AtomicU64,
}

impl Group {
    fn members(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Member>>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running groups.
pub struct Fanout {
    schema: SwitchboardSchema,
    groups: Arc<Mutex<HashMap<Key, Weak<Group>>>>,
}

impl Fanout {
    /// Groups running on `schema`.
    pub fn new(schema: SwitchboardSchema) -> Self {
        Self {
            schema,
            groups: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Joins `member` to the group running `request` for `caller`
    /// (starting it, with `data` made for its execution, when there is
    /// none): results from now on are written to the member's socket; the
    /// stream answers what its connection must (a refusal, a lone result it
    /// missed) and ends when the execution ends. Dropping it leaves.
    pub fn join(
        &self,
        key: Key,
        caller: &Caller,
        request: async_graphql::Request,
        data: &dyn Fn(Caller) -> Data,
        member: Arc<Member>,
    ) -> impl Stream<Item = Item> + Send + use<> {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let running = groups.get(&key).and_then(Weak::upgrade).and_then(|group| {
            let receiver = group.sender.lock().ok()?.as_ref()?.subscribe();
            Some((group, receiver))
        });
        let (group, receiver) = match running {
            Some(running) => running,
            None => {
                let (sender, receiver) = broadcast::channel(CAPACITY);
                let group = Arc::new(Group {
                    sender: Mutex::new(Some(sender)),
                    last_word: Mutex::new(None),
                    members: Mutex::new(HashMap::new()),
                    joined: AtomicU64::new(0),
                });
                groups.insert(key.clone(), Arc::downgrade(&group));
                // Expiry is each member's own business (see the module).
                let mut runner = caller.clone();
                runner.expires_at = u64::MAX;
                let results = without_panics(
                    self.schema
                        .execute_stream_with_session_data(request, Arc::new(data(runner))),
                );
                tokio::spawn(run(group.clone(), key, self.groups.clone(), results));
                (group, receiver)
            }
        };
        let number = group.joined.fetch_add(1, Ordering::Relaxed);
        group.members().insert(number, member.clone());
        drop(groups);
        let membership = Membership {
            group,
            number,
            member,
        };
        membership.answers(receiver)
    }
}

/// A member's place in its group, given up when dropped.
struct Membership {
    group: Arc<Group>,
    number: u64,
    member: Arc<Member>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.group.members().remove(&self.number);
    }
}

impl Membership {
    /// What the member's connection answers itself: a refusal, then the
    /// group's last word if no result reached the member.
    fn answers(self, receiver: broadcast::Receiver<Item>) -> impl Stream<Item = Item> {
        futures::stream::unfold(
            (Some(self), receiver, false),
            |(membership, mut receiver, heard)| async move {
                let membership = membership?;
                loop {
                    match receiver.recv().await {
                        Ok(item) => return Some((item, (Some(membership), receiver, true))),
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => {
                            let reached =
                                heard || membership.member.delivered.load(Ordering::Acquire);
                            let last = if reached {
                                None
                            } else {
                                membership
                                    .group
                                    .last_word
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .clone()
                            };
                            return last.map(|item| (item, (None, receiver, true)));
                        }
                    }
                }
            },
        )
    }
}

/// Writes result `payload` to every member of `group`, on several tasks
/// when they are many. The writes are outside tokio's cooperative budget:
/// past it (128 operations a turn) every socket answers "would block" and
/// wakes its connection to write instead, which is the cost this saves. A
/// task's writes are bounded, so it cannot starve others.
async fn deliver(group: &Group, payload: Arc<str>) {
    let mut members: Vec<Arc<Member>> = group.members().values().cloned().collect();
    let mut writers = Vec::new();
    while members.len() > WRITES_PER_TASK {
        let share = members.split_off(members.len() - WRITES_PER_TASK);
        let payload = payload.clone();
        writers.push(tokio::spawn(tokio::task::unconstrained(async move {
            write(&share, &payload)
        })));
    }
    let mut missed = tokio::task::unconstrained(async { write(&members, &payload) }).await;
    for writer in writers {
        missed += writer.await.unwrap_or(0);
    }
    if missed > 0 {
        tracing::warn!(
            subscribers = missed,
            "slow subscribers missed an event (their sockets' backlogs are full)"
        );
    }
}

/// Writes `payload` to `members` (who share one operation): how many
/// missed it.
fn write(members: &[Arc<Member>], payload: &str) -> usize {
    let mut missed = 0;
    let mut started = 0;
    for member in members {
        match member.write(payload) {
            Offered::Sent | Offered::Queued => started += u64::from(member.first_delivery()),
            Offered::Missed => missed += 1,
            Offered::Skipped => {}
        }
    }
    if let Some(member) = members.first().filter(|_| started > 0) {
        crate::metrics::subscriptions(member.name.as_deref(), started_well(payload), started);
    }
    missed
}

/// Drives a group's execution until it ends or no member is left.
async fn run(
    group: Arc<Group>,
    key: Key,
    groups: Arc<Mutex<HashMap<Key, Weak<Group>>>>,
    mut results: futures::stream::BoxStream<'static, async_graphql::Response>,
) {
    let Some(sender) = group
        .sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    else {
        return;
    };
    let mut first: Option<Item> = None;
    let mut count = 0usize;
    loop {
        match tokio::time::timeout(IDLE_CHECK, results.next()).await {
            Ok(Some(response)) => {
                let item = if count == 0 && is_request_error(&response) {
                    let errors = response_body(response)
                        .get("errors")
                        .cloned()
                        .unwrap_or_default();
                    let refused = Item::Refused(errors.to_string().into());
                    let _ = sender.send(refused.clone());
                    refused
                } else {
                    let payload: Arc<str> = Answer::of(response).text().into();
                    deliver(&group, payload.clone()).await;
                    Item::Next(payload)
                };
                count += 1;
                if count == 1 {
                    first = Some(item);
                }
            }
            Ok(None) => break,
            Err(_) => {}
        }
        // Its own clone is not a member. Members join under the map's
        // lock, so once no member is left under it, none can come.
        if sender.receiver_count() == 0 {
            let map = groups.lock().unwrap_or_else(|e| e.into_inner());
            if sender.receiver_count() == 0 {
                close(&group, &key, map);
                return;
            }
        }
    }
    // Members who joined after a lone result still hear it.
    if count == 1 {
        *group.last_word.lock().unwrap_or_else(|e| e.into_inner()) = first;
    }
    close(
        &group,
        &key,
        groups.lock().unwrap_or_else(|e| e.into_inner()),
    );
}

/// Forgets the group (under the map's lock, held in `map`) and drops its
/// sender, which ends every membership.
fn close(
    group: &Arc<Group>,
    key: &Key,
    mut map: std::sync::MutexGuard<'_, HashMap<Key, Weak<Group>>>,
) {
    if map
        .get(key)
        .is_some_and(|g| std::ptr::eq(g.as_ptr(), Arc::as_ptr(group)))
    {
        map.remove(key);
    }
    // The group's sender goes (the runner's clone with the runner): members
    // see the end, and no one joins anew.
    group
        .sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
}
