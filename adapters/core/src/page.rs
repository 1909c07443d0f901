//! Cursor pagination shared by every list a port returns.

/// The largest page any list returns.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when the client names none.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Which page to read: at most `first` items after the opaque cursor `after`.
///
/// Cursors are produced by the adapter that reads them; another adapter's
/// cursor, or one for a different ordering, is rejected as invalid input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items, between 1 and [`MAX_PAGE_SIZE`].
    pub first: usize,
    /// The cursor of the last item already seen.
    pub after: Option<String>,
}

impl PageRequest {
    /// Validates a client's `first` (default [`DEFAULT_PAGE_SIZE`], at most [`MAX_PAGE_SIZE`]).
    pub fn new(first: Option<i32>, after: Option<String>) -> crate::Result<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 1 => {
                return Err(crate::Error::invalid("first", "first must be at least 1"));
            }
            Some(n) if n as usize > MAX_PAGE_SIZE => {
                return Err(crate::Error::invalid(
                    "first",
                    format!("first must be at most {MAX_PAGE_SIZE}; page with the `after` cursor"),
                ));
            }
            Some(n) => n as usize,
        };
        Ok(Self { first, after })
    }

    /// The first page of `first` items.
    pub fn first(first: usize) -> Self {
        Self { first, after: None }
    }
}

/// One page of items, each with the cursor that points just after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items with their cursors, in the requested order.
    pub items: Vec<(String, T)>,
    /// Whether more items follow the last one.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// The items without their cursors.
    pub fn into_items(self) -> Vec<T> {
        self.items.into_iter().map(|(_, item)| item).collect()
    }

    /// The cursor of the last item, if any.
    pub fn end_cursor(&self) -> Option<&str> {
        self.items.last().map(|(c, _)| c.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_and_bounds() {
        assert_eq!(
            PageRequest::new(None, None).unwrap().first,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(PageRequest::new(Some(100), None).unwrap().first, 100);
        assert!(matches!(
            PageRequest::new(Some(101), None),
            Err(crate::Error::InvalidInput { field, .. }) if field == "first"
        ));
        assert!(PageRequest::new(Some(0), None).is_err());
    }
}
