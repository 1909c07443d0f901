//! Support cases: the records, their catalog, the rules every backend
//! applies to them, and the [`CaseStore`] port with its capabilities.
//!
//! - [`model`]: the case, its state and priority, filters and orderings.
//! - [`catalog`]: what the case form offers.
//! - [`writes`]: what writes ask for; finished cases refuse them; keyed
//!   retries are recognised by [`fingerprint`].
//! - [`activity`], [`files`]: activity streams, watch lists, attachments.
//! - [`search`]: how free-text search is read.
//! - [`create`]: opening a case with files as one retry-safe operation.
//! - [`port`]: the port, one trait per capability (reads and writes apart),
//!   and [`ReadThrough`] for decorators that change only writes.

pub mod activity;
pub mod catalog;
pub mod create;
pub mod files;
pub mod model;
pub mod port;
pub mod search;
pub mod writes;

pub use activity::{Activity, ActivityKind, WatchEntry};
pub use catalog::{CaseType, Catalog, Category, SupportCaseType};
pub use create::{CaseWithFiles, create_with_files};
pub use files::{Attachment, ByteStream, CheckedFile, NewAttachment};
pub use model::{
    Case, CaseFilter, CaseOrder, CaseOrderField, CaseState, Direction, Priority, TimeRange,
};
pub use port::{
    CaseActivity, CaseFileWrites, CaseFiles, CaseReads, CaseStore, CaseWrites, ReadThrough,
    WatchListWrites, WatchLists, list_and_count_apart,
};
pub use search::{SearchToken, search_tokens};
pub use writes::{
    Created, NewCase, NewComment, cancel_reason, ensure_cancelable, ensure_writable, fingerprint,
};

/// The capability traits, for calling a [`CaseStore`]'s methods:
/// `use switchboard_core::cases::prelude::*;`.
pub mod prelude {
    pub use super::port::{
        CaseActivity as _, CaseFileWrites as _, CaseFiles as _, CaseReads as _, CaseWrites as _,
        WatchListWrites as _, WatchLists as _,
    };
}
