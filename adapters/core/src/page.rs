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

    /// The page of at most `first` items out of `rows`, which were read
    /// one beyond `first` so that the extra row tells a next page exists;
    /// each item with the cursor `cursor` makes of its row.
    pub fn from_lookahead<R>(
        mut rows: Vec<R>,
        first: usize,
        cursor: impl Fn(&R) -> String,
        mut convert: impl FnMut(R) -> T,
    ) -> Self {
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Self {
            items: rows
                .into_iter()
                .map(|row| (cursor(&row), convert(row)))
                .collect(),
            has_next_page,
        }
    }

    /// The page with `f` applied to each item, or `f`'s first error.
    pub fn try_map<U, E>(self, mut f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(|(cursor, item)| Ok((cursor, f(item)?)))
                .collect::<Result<_, E>>()?,
            has_next_page: self.has_next_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookahead_row_means_a_next_page() {
        let page = Page::from_lookahead(vec![1, 2, 3], 2, |n| format!("c{n}"), |n| n * 10);
        assert_eq!(page.items, [("c1".to_string(), 10), ("c2".to_string(), 20)]);
        assert!(page.has_next_page);
        let last = Page::from_lookahead(vec![1, 2], 2, |n| format!("c{n}"), |n| n);
        assert!(!last.has_next_page);
        assert_eq!(last.end_cursor(), Some("c2"));
        let empty = Page::from_lookahead(Vec::<i32>::new(), 2, |n| n.to_string(), |n| n);
        assert!(empty.items.is_empty() && !empty.has_next_page);
    }

    #[test]
    fn try_map_keeps_cursors_or_fails() {
        let page = Page::from_lookahead(vec![1, 2, 3], 2, |n| format!("c{n}"), |n| n);
        let mapped: Result<Page<String>, ()> = page.clone().try_map(|n| Ok(n.to_string()));
        let mapped = mapped.unwrap();
        assert_eq!(mapped.items[1], ("c2".to_string(), "2".to_string()));
        assert!(mapped.has_next_page);
        assert_eq!(
            page.try_map(|n| if n == 2 { Err(n) } else { Ok(n) }),
            Err(2)
        );
    }

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
