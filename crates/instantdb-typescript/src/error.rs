//! The crate's one error type: a located parse error.

use std::fmt;

/// Why a `instant.schema.ts` / `instant.perms.ts` file could not be read.
///
/// It carries the file name, a 1-based line and column, a one-line message and the source line
/// it points into, so that tools can print compiler-style diagnostics:
///
/// ```text
/// instant.schema.ts:4:31: Could not extract `todos.title`. Found a call to `foo()` that is not recognized.
///    |
///  4 |     todos: i.entity({ title: i.string().foo() }),
///    |                                         ^
/// ```
///
/// [`Display`](fmt::Display) prints the first line only; [`ParseError::render`] prints all of it.
/// Messages for files that upstream's `schemaTypescriptFileToInstantSchema` /
/// `permsTypescriptFileToCode` also reject are upstream's, typos included, so the same input gives
/// the same message in both tools; syntax errors carry swc's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    file: String,
    line: usize,
    column: usize,
    message: String,
    source_line: String,
    kind: ParseErrorKind,
}

/// What kind of problem a [`ParseError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The file is not valid TypeScript (swc's message).
    Syntax,
    /// Valid TypeScript, but not a schema or rules file this crate can read (upstream's message
    /// where upstream rejects the same input).
    Unsupported,
    /// The input is not valid JSON (for tools that read JSON next to TypeScript).
    Json,
    /// The file nests expressions deeper than the parser allows, or has more than six `<` open
    /// at once (guards against stack exhaustion and against swc's exponential backtracking; no
    /// real schema or rules file comes close).
    TooDeep,
}

impl ParseError {
    /// Builds an error pointing at byte `offset` of `src`.
    pub(crate) fn at(
        file: &str,
        src: &str,
        offset: usize,
        kind: ParseErrorKind,
        message: impl Into<String>,
    ) -> ParseError {
        let offset = floor_char_boundary(src, offset.min(src.len()));
        let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
        let line = src[..line_start].matches('\n').count() + 1;
        let column = src[line_start..offset].chars().count() + 1;
        let source_line = src[line_start..line_end].trim_end_matches('\r').to_owned();
        let message: String = message.into();
        ParseError {
            file: file.to_owned(),
            line,
            column,
            // One line, whatever the underlying message looks like.
            message: message.replace(['\r', '\n'], " "),
            source_line,
            kind,
        }
    }

    /// An error at `line` and `column` (1-based, column in characters) of `src`, for tools that
    /// report problems in other inputs (a JSON file, say) in the same format.
    pub fn at_line_column(
        file: &str,
        src: &str,
        line: usize,
        column: usize,
        kind: ParseErrorKind,
        message: impl Into<String>,
    ) -> ParseError {
        let line_start = src
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum::<usize>();
        let offset = src[line_start.min(src.len())..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(src.len(), |(i, _)| line_start + i);
        ParseError::at(file, src, offset, kind, message)
    }

    /// The file name given to the parser.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// 1-based line of the offending code.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the offending code, in characters (Unicode scalar values).
    pub fn column(&self) -> usize {
        self.column
    }

    /// The message, without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The whole source line the error points into (without its line break).
    pub fn source_line(&self) -> &str {
        &self.source_line
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The full diagnostic: `file:line:col: message`, then the source line with a caret under the
    /// column. Long lines are cut around the caret so the excerpt stays readable.
    pub fn render(&self) -> String {
        let mut out = format!("{self}\n");
        let (excerpt, caret) = excerpt(&self.source_line, self.column - 1);
        let gutter = self.line.to_string();
        let pad = " ".repeat(gutter.len());
        out.push_str(&format!("{pad} |\n{gutter} | {excerpt}\n{pad} | "));
        out.push_str(&" ".repeat(caret));
        out.push_str("^\n");
        out
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseErrorKind::Syntax => "syntax error",
            ParseErrorKind::Unsupported => "unsupported file",
            ParseErrorKind::Json => "invalid JSON",
            ParseErrorKind::TooDeep => "nesting too deep",
        })
    }
}

/// At most this many characters of the source line are shown.
const EXCERPT_WIDTH: usize = 100;

/// The part of `line` to show and the caret's position in it. Tabs become single spaces so the
/// caret lines up whatever the terminal's tab width.
fn excerpt(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line
        .chars()
        .map(|c| if c == '\t' || c.is_control() { ' ' } else { c })
        .collect();
    let column = column.min(chars.len());
    let start = column.saturating_sub(EXCERPT_WIDTH / 2);
    let end = (start + EXCERPT_WIDTH).min(chars.len());
    let start = end.saturating_sub(EXCERPT_WIDTH).min(start);
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret = column - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret)
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    while index > 0 && !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column_in_characters() {
        let src = "a\nbé c\n";
        let err = ParseError::at(
            "f.ts",
            src,
            src.find('c').unwrap(),
            ParseErrorKind::Syntax,
            "m",
        );
        assert_eq!((err.line(), err.column()), (2, 4));
        assert_eq!(err.to_string(), "f.ts:2:4: m");
        assert_eq!(err.render(), "f.ts:2:4: m\n  |\n2 | bé c\n  |    ^\n");
    }

    #[test]
    fn line_and_column_constructor_agrees_with_offsets() {
        let src = "{\n  \"é\": x\n}";
        let err = ParseError::at_line_column("f.json", src, 2, 8, ParseErrorKind::Json, "m");
        assert_eq!(
            (err.line(), err.column(), err.source_line()),
            (2, 8, "  \"é\": x")
        );
        let err = ParseError::at_line_column("f.json", src, 9, 9, ParseErrorKind::Json, "m");
        assert_eq!(err.line(), 3);
    }

    #[test]
    fn out_of_range_offsets_point_at_the_end() {
        let err = ParseError::at("f.ts", "ab", 99, ParseErrorKind::Syntax, "x\ny");
        assert_eq!((err.line(), err.column(), err.message()), (1, 3, "x y"));
        let err = ParseError::at("f.ts", "", 0, ParseErrorKind::Syntax, "m");
        assert_eq!((err.line(), err.column()), (1, 1));
        assert!(err.render().ends_with("1 | \n  | ^\n"));
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = "x".repeat(300);
        let err = ParseError::at("f.ts", &line, 200, ParseErrorKind::Syntax, "m");
        let rendered = err.render();
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines[2].starts_with("1 | …") && lines[2].ends_with('…'));
        let caret = lines[3].find('^').unwrap();
        assert_eq!(lines[2].chars().nth(caret), Some('x'));
    }
}
