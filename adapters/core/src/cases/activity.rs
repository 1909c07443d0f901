//! A case's activity stream and watch list.

use chrono::{DateTime, Utc};

/// The kinds of entry in a case's activity stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// A comment by a person.
    Comment,
    /// A post by the system ("Case Assigned", "Priority 2 - High was 4 - Low").
    System,
    /// The state changed.
    StateChange,
    /// An attachment was added, renamed or removed.
    Attachment,
    /// The watch list changed.
    WatchList,
}

impl ActivityKind {
    /// Every kind.
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Comment,
        ActivityKind::System,
        ActivityKind::StateChange,
        ActivityKind::Attachment,
        ActivityKind::WatchList,
    ];

    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Comment => "COMMENT",
            ActivityKind::System => "SYSTEM",
            ActivityKind::StateChange => "STATE_CHANGE",
            ActivityKind::Attachment => "ATTACHMENT",
            ActivityKind::WatchList => "WATCH_LIST",
        }
    }

    /// Parses [`ActivityKind::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of a case's activity stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The entry's id.
    pub id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// That case's number.
    pub case_number: String,
    /// What kind of entry.
    pub kind: ActivityKind,
    /// Who wrote it (`System` for system posts).
    pub author: String,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One address on a case's watch list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEntry {
    /// The case.
    pub case_id: String,
    /// The address notified.
    pub email: String,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}
