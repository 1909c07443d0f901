//! Identical subscriptions share one execution.
//!
//! Thousands of WebSocket subscribers often run the same subscription as
//! the same principal (a user's tabs and devices, an integrator's fleet on
//! one service identity). Their results are identical: the same document
//! and variables, resolved for the same entitlements. So they form a
//! [`Group`]: the subscription runs once, each result is serialised once,
//! and every member writes the same bytes to its socket, which is what
//! keeps a subscriber's memory and an event's fan-out small.
//!
//! Members differ only in their tokens' expiry, which each connection
//! enforces itself (it completes its operations and closes 4401); the
//! group's own execution therefore runs without an expiry. Access is
//! re-checked inside the execution for every event, as for a single
//! subscriber, and it applies to every member alike since they share the
//! principal. Different principals never share a group.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_graphql::Data;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use crate::auth::Caller;
use crate::graphql::SwitchboardSchema;
use crate::server::graphql_http::{is_request_error, response_body, without_panics};

/// Results a slow member may fall behind by before it misses some (the
/// channel's slots are allocated up front, so this is per group memory).
const CAPACITY: usize = 32;

/// How often a group with no member left notices and stops.
const IDLE_CHECK: Duration = Duration::from_secs(5);

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

/// One shared execution and its members.
struct Group {
    /// Taken when the execution ends, which closes the channel.
    sender: Mutex<Option<broadcast::Sender<Item>>>,
    /// Once the execution has ended: its only result, when it had just one
    /// (a refusal, or an error from the subscription's own checks), for
    /// members who joined after it was sent.
    last_word: Mutex<Option<Item>>,
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

    /// Joins the group running `request` for `caller` (starting it, with
    /// `data` made for its execution, when there is none): the results from
    /// now on, ending when the execution ends.
    pub fn join(
        &self,
        key: Key,
        caller: &Caller,
        request: async_graphql::Request,
        data: &dyn Fn(Caller) -> Data,
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
        drop(groups);
        membership(group, receiver)
    }
}

/// A member's view: the group's results, then its last word if the member
/// missed it.
fn membership(group: Arc<Group>, receiver: broadcast::Receiver<Item>) -> impl Stream<Item = Item> {
    futures::stream::unfold(
        (Some(group), receiver, false),
        |(group, mut receiver, heard)| async move {
            let group = group?;
            loop {
                match receiver.recv().await {
                    Ok(item) => return Some((item, (Some(group), receiver, true))),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(events.missed = missed, "a slow subscriber missed events");
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        let last = if heard {
                            None
                        } else {
                            group
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
                    Item::Refused(errors.to_string().into())
                } else {
                    Item::Next(response_body(response).to_string().into())
                };
                count += 1;
                if count == 1 {
                    first = Some(item.clone());
                }
                let _ = sender.send(item);
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
