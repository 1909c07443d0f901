//! Behaviours of the [`CaseStore`](switchboard_core::CaseStore) port.

mod activity;
mod attachments;
mod cancel;
mod create;
mod filters;
mod idempotency;
mod ordering;
mod scoping;
mod text;
mod watch_list;
mod with_files;

pub use activity::{comments, latest_activity, recent_updates};
pub use attachments::{attachment_file_names, attachments_round_trip};
pub use cancel::{
    cancel_from_active_states_only, canceled_cases_refuse_writes, concurrent_cancels_cancel_once,
};
pub use create::{create_validates_and_stores, idempotent_create};
pub use filters::{
    count_agrees_with_walk, counts_follow_writes, filters_match_a_full_walk, list_and_count_agree,
};
pub use idempotency::{concurrent_keyed_writes, idempotent_attachment, idempotent_comment};
pub use ordering::{
    ORDERS, ordering_by_every_field, pagination_edges, pagination_survives_inserts,
};
pub use scoping::{scoping_hides_other_accounts, scoping_unknown_and_empty};
pub use text::text_search;
pub use watch_list::watch_list;
pub use with_files::create_with_files_is_retry_safe;
