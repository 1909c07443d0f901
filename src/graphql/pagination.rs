//! What lists and files look the same in every domain: connections'
//! [`PageInfo`], the sort [`OrderDirection`], [`DateRangeInput`] for
//! filters, and [`Download`] links.

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Pagination state of a connection.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether more items follow.
    pub has_next_page: bool,
    /// Always false: lists page forward only.
    pub has_previous_page: bool,
    /// The first item's cursor.
    pub start_cursor: Option<String>,
    /// The last item's cursor (pass it as `after`).
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// The pagination state of a forward-only page.
    pub fn of<T>(page: &switchboard_core::Page<T>) -> Self {
        Self {
            has_next_page: page.has_next_page,
            has_previous_page: false,
            start_cursor: page.items.first().map(|(c, _)| c.clone()),
            end_cursor: page.end_cursor().map(str::to_string),
        }
    }
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::cases::Direction")]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A time range; either end may be left open.
#[derive(InputObject, Clone, Debug, Default, Serialize, Deserialize)]
#[graphql(name = "DateRange")]
pub struct DateRangeInput {
    /// Inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub to: Option<DateTime<Utc>>,
}

/// A file the client fetches with an authorized GET.
#[derive(SimpleObject)]
pub struct Download {
    /// Where to GET it (send the same bearer token).
    pub url: String,
    /// Its media type.
    pub content_type: String,
}
