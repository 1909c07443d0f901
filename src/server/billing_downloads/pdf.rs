//! A small text-only PDF layout: headings, lines and table rows on US
//! Letter pages, in the built-in Helvetica fonts (no font file needed),
//! flowing onto new pages as they fill.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
/// Left and right margin.
pub const MARGIN: f32 = 50.0;
/// Where the text area ends on the right.
pub const RIGHT_EDGE: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const BOTTOM: f32 = MARGIN;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// A cell of a table row: where it starts (or ends, when right-aligned) and its text.
pub struct Cell {
    x: f32,
    text: String,
    right: bool,
}

impl Cell {
    /// Text starting at `x`.
    pub fn left(x: f32, text: impl Into<String>) -> Self {
        Self {
            x,
            text: text.into(),
            right: false,
        }
    }

    /// Text ending at `x` (amounts).
    pub fn right(x: f32, text: impl Into<String>) -> Self {
        Self {
            x,
            text: text.into(),
            right: true,
        }
    }
}

/// A document being laid out, top to bottom.
pub struct Document {
    pages: Vec<Content>,
    page: Content,
    y: f32,
    footer: String,
}

impl Document {
    /// An empty document whose pages all carry `footer`.
    pub fn new(footer: impl Into<String>) -> Self {
        Self {
            pages: Vec::new(),
            page: Content::new(),
            y: TOP,
            footer: footer.into(),
        }
    }

    /// A bold line of `size` points.
    pub fn heading(&mut self, text: &str, size: f32) {
        self.room(size * 2.0);
        self.y -= size * 0.6;
        self.text(BOLD, size, MARGIN, text);
        self.y -= size * 1.4;
    }

    /// A line of body text.
    pub fn line(&mut self, text: &str) {
        self.row(&[Cell::left(MARGIN, text)], false);
    }

    /// One table row of 9-point cells, bold for headers and totals.
    pub fn row(&mut self, cells: &[Cell], bold: bool) {
        let size = 9.0;
        self.room(size * 1.6);
        let font = if bold { BOLD } else { REGULAR };
        for cell in cells {
            let x = if cell.right {
                cell.x - text_width(&cell.text, size)
            } else {
                cell.x
            };
            self.text(font, size, x, &cell.text);
        }
        self.y -= size * 1.6;
    }

    /// Vertical space.
    pub fn gap(&mut self) {
        self.y -= 8.0;
    }

    /// The finished PDF file.
    pub fn finish(mut self) -> Vec<u8> {
        self.close_page();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let count = self.pages.len();
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(5 + 2 * i as i32)).collect();
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(count as i32);
        for (font, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
            pdf.type1_font(font)
                .base_font(Name(name.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for (i, (content, id)) in self.pages.into_iter().zip(&page_ids).enumerate() {
            let contents = Ref::new(6 + 2 * i as i32);
            let mut page = pdf.page(*id);
            page.parent(tree)
                .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
                .contents(contents);
            let mut resources = page.resources();
            resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
            resources.finish();
            page.finish();
            pdf.stream(contents, &content.finish());
        }
        pdf.finish()
    }

    fn text(&mut self, font: Name, size: f32, x: f32, text: &str) {
        let bytes = win_ansi(text);
        self.page
            .begin_text()
            .set_font(font, size)
            .next_line(x, self.y)
            .show(Str(&bytes))
            .end_text();
    }

    /// Starts a new page when fewer than `needed` points are left.
    fn room(&mut self, needed: f32) {
        if self.y - needed < BOTTOM + 20.0 {
            self.close_page();
        }
    }

    fn close_page(&mut self) {
        let number = self.pages.len() + 1;
        let footer = format!("{} - page {number}", self.footer);
        let bytes = win_ansi(&footer);
        let mut page = std::mem::replace(&mut self.page, Content::new());
        page.begin_text()
            .set_font(REGULAR, 8.0)
            .next_line(MARGIN, BOTTOM - 10.0)
            .show(Str(&bytes))
            .end_text();
        self.pages.push(page);
        self.y = TOP;
    }
}

/// The text in WinAnsi (Latin-1 for what it covers); anything else is `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            _ => b'?',
        })
        .collect()
}

/// The width of `text` in Helvetica at `size` points, from the font's
/// advance widths (exact for digits and punctuation, close for letters).
fn text_width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' | '$' => 556,
            '.' | ',' | ' ' | ':' => 278,
            '-' => 333,
            'A'..='Z' => 667,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_flow_onto_new_pages() {
        let mut doc = Document::new("test");
        doc.heading("Title", 14.0);
        for i in 0..200 {
            doc.row(
                &[
                    Cell::left(MARGIN, format!("row {i}")),
                    Cell::right(RIGHT_EDGE, "$1.00"),
                ],
                false,
            );
        }
        let bytes = doc.finish();
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        // Rows are 14.4 points apart and a page holds 672 points of them.
        assert!(text.contains("/Count 5"), "200 rows take five pages");
        assert!(text.contains("Helvetica-Bold"));
    }

    #[test]
    fn text_outside_latin1_becomes_question_marks() {
        assert_eq!(win_ansi("caf\u{e9} \u{2603}"), b"caf\xe9 ?");
        assert_eq!(
            text_width("$1.00", 10.0),
            (556.0 * 3.0 + 278.0 + 556.0) / 100.0
        );
    }
}
