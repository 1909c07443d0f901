//! How a case list's free-text search ([`super::CaseFilter::text`]) is read.

/// One part of a free-text search. Every part must match: dropping one
/// would list cases that lack it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchToken<'a> {
    /// `CS` and digits: a case number or its prefix, upper-cased.
    NumberPrefix(String),
    /// A word to find in the title or description, as typed (the backend
    /// folds case and escapes it for its query language).
    Word(&'a str),
}

/// The parts of `text`, split at whitespace.
pub fn search_tokens(text: &str) -> impl Iterator<Item = SearchToken<'_>> {
    text.split_whitespace().map(|word| {
        let prefixed = word.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("CS"));
        if prefixed && word.len() > 2 && word[2..].chars().all(|c| c.is_ascii_digit()) {
            SearchToken::NumberPrefix(word.to_ascii_uppercase())
        } else {
            SearchToken::Word(word)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<SearchToken<'_>> {
        search_tokens(text).collect()
    }

    #[test]
    fn case_numbers_and_their_prefixes_are_recognised_in_any_case() {
        assert_eq!(
            tokens("cs0000012 CS1"),
            [
                SearchToken::NumberPrefix("CS0000012".into()),
                SearchToken::NumberPrefix("CS1".into())
            ]
        );
    }

    #[test]
    fn everything_else_is_a_word() {
        assert_eq!(
            tokens("  CS  csx1 fiber\tcut CS12a é"),
            [
                SearchToken::Word("CS"),
                SearchToken::Word("csx1"),
                SearchToken::Word("fiber"),
                SearchToken::Word("cut"),
                SearchToken::Word("CS12a"),
                SearchToken::Word("é"),
            ]
        );
        assert!(tokens(" \t ").is_empty());
    }

    #[test]
    fn a_multibyte_word_does_not_split_inside_a_character() {
        assert_eq!(tokens("éé"), [SearchToken::Word("éé")]);
        assert_eq!(tokens("Cé1"), [SearchToken::Word("Cé1")]);
    }
}
