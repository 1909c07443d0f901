//! Free-text search: case numbers and prefixes, words in any letter case.

use switchboard_core::cases::{Case, CaseFilter, CaseStore};

use super::filters::{ORDER, check, check_some};
use crate::Fixture;
use crate::support::{BIG_PAGE, walk};

/// Whether `case` matches free text as the port documents it: a case
/// number or its prefix, or words all found in the title or description.
fn matches_text(case: &Case, text: &str) -> bool {
    text.split_whitespace().all(|token| {
        let upper = token.to_ascii_uppercase();
        let is_number = upper.len() > 2
            && upper.starts_with("CS")
            && upper[2..].chars().all(|c| c.is_ascii_digit());
        if is_number {
            case.number.starts_with(&upper)
        } else {
            let word = token.to_ascii_lowercase();
            case.title.to_ascii_lowercase().contains(&word)
                || case.description.to_ascii_lowercase().contains(&word)
        }
    })
}

/// The longest alphabetic word of `text`.
fn longest_word(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .max_by_key(|w| w.len())
        .unwrap_or_default()
        .to_string()
}

/// Mixes the case of a word: `packet` becomes `PaCkEt`.
fn mixed_case(word: &str) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Free text finds a case by its number or a prefix of it, and by words in
/// any letter case; LIKE wildcards in the text are taken literally.
pub async fn text_search(store: &dyn CaseStore, fx: &Fixture) {
    let scope = fx.home.scope();
    let all = walk(store, &scope, &CaseFilter::default(), ORDER, BIG_PAGE).await;
    let sample = &all[all.len() / 2];
    let title_word = longest_word(&sample.title);
    let description_word = longest_word(&sample.description);
    assert!(
        title_word.len() >= 3,
        "case {} has no word in its title",
        sample.number
    );
    let number = sample.number.clone();
    let prefix = number[..number.len() - 1].to_ascii_lowercase();
    let texts = [
        number.clone(),
        number.to_ascii_lowercase(),
        prefix,
        mixed_case(&title_word),
        format!(
            "  {}   {}  ",
            title_word.to_ascii_uppercase(),
            mixed_case(&description_word)
        ),
    ];
    for text in texts {
        let filter = CaseFilter {
            text: Some(text.clone()),
            ..CaseFilter::default()
        };
        let what = format!("text {text:?}");
        check_some(
            store,
            &scope,
            &all,
            filter,
            |c| matches_text(c, &text),
            &what,
        )
        .await;
        let found = walk(
            store,
            &scope,
            &CaseFilter {
                text: Some(text.clone()),
                ..CaseFilter::default()
            },
            ORDER,
            BIG_PAGE,
        )
        .await;
        assert!(
            found.iter().any(|c| c.id == sample.id),
            "text {text:?} does not find case {number} it was taken from"
        );
    }
    // Every word counts, however many there are.
    let words: Vec<&str> = sample
        .description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    assert!(
        words.len() >= 9,
        "case {number}'s description has fewer than 9 words"
    );
    let many = words.join(" ");
    let filter = CaseFilter {
        text: Some(many.clone()),
        ..CaseFilter::default()
    };
    let what = format!("text of {} words", words.len());
    check_some(
        store,
        &scope,
        &all,
        filter,
        |c| matches_text(c, &many),
        &what,
    )
    .await;
    let with_miss = format!("{} zzqxjv", words[..9].join(" "));
    for text in ["%", "_", "zzqxjv", "100% _", with_miss.as_str()] {
        let filter = CaseFilter {
            text: Some(text.to_string()),
            ..CaseFilter::default()
        };
        let what = format!("text {text:?}");
        check(
            store,
            &scope,
            &all,
            filter,
            |c| matches_text(c, text),
            &what,
        )
        .await;
    }
}
