//! [`CaseStore`](switchboard_core::CaseStore) on ServiceNow, one file per
//! capability: [`read`], [`write`] (with [`comments`]), [`updates`],
//! [`watch`] and [`attach`] (over the Attachment API in [`files`]).

mod activity;
mod attach;
mod comments;
mod files;
mod keys;
mod read;
mod requests;
mod updates;
mod watch;
mod write;
