//! A nesting guard run before swc parses a file.
//!
//! swc's parser, the syntax tree's `Drop` and this crate's walkers recurse once per nesting level,
//! so a file of 100 000 `(` would exhaust any stack. The parser therefore runs on a grown stack
//! ([`STACK_SIZE`]) and only after this guard has checked that the file nests less than
//! [`MAX_NESTING`] levels, which that stack holds with a wide margin even in debug builds
//! (measured: about 25 KiB per level at worst).
//!
//! The estimate comes from swc's lexer, run on its own (it never recurses). Each bracket `(`,
//! `[`, `{`, `${` and `<` opens a level; at each level every token since the last `,` or `;`
//! counts, since an operator chain (`- - - x`, `a ? b : c ? ...`, `a => b => ...`) nests without
//! brackets while a comma or semicolon ends the subtree. The estimate is the sum over open
//! levels, checked after every token, so it bounds the depth of the syntax tree from above.
//!
//! The lexer on its own cannot tell a regular expression from a division, nor where a
//! template substitution ends: swc's parser tells it. The guard does the same for the cases it
//! can decide from the tokens before: at the `}` that closes a `${`, it asks the lexer to go on
//! reading the template (`rescan_template_token`, as the parser does), and a `/` where an
//! expression cannot end (after an operator, `(`, `,`, a keyword such as `return`, the `)` of
//! `if (...)`, or the `}` of a block) is read as a regular expression. Only a `/` after the `}`
//! of a block the guard could not classify, and the legacy `${` token, leave it unsure: from
//! there on it stops trusting tokens and counts every remaining word and punctuation character
//! as one more level (a bound on the number of tokens left). So a shebang line, template
//! literals with substitutions (`i.string<\`id-${string}\`>()`) and regular expressions in
//! ordinary places are read exactly; the unsure case needs a regular expression right after a
//! block, which schema and rules files do not contain.
//!
//! The guard also bounds how many `<` are open at once ([`MAX_OPEN_ANGLES`]). swc reads
//! `a < ...` by first trying type arguments and, when that fails, going back to read a
//! comparison, so each `<` still open when a later one fails doubles (or worse) the work: the
//! fuzzer found 84 bytes (`a<{7 [` twelve times) that took swc 9 seconds, four times longer
//! with each repetition. A `;` ends every `<` opened since the nearest bracket (it cannot occur
//! inside type arguments outside a bracket), as do `>` and the closing bracket. After an unsure
//! `/`, every `<` left in the file counts as open.

use swc_common::{BytePos, SourceFile};
use swc_ecma_parser::input::Tokens;
use swc_ecma_parser::unstable::{Token, TokenAndSpan};
use swc_ecma_parser::{Lexer, StringInput, Syntax};

/// The deepest nesting accepted. Real schema and rules files stay below 50.
pub(crate) const MAX_NESTING: usize = 500;

/// The most `<` open at once. Real files nest generic types a few levels deep at most
/// (`i.json<Array<Record<string, Set<number>>>>()` is four); at this bound swc's backtracking
/// stays in tens of milliseconds on the worst inputs the fuzzer found (five to six times the
/// work per open `<` when brackets follow it: eight took 0.8 s).
pub(crate) const MAX_OPEN_ANGLES: usize = 6;

/// The stack the parser, the walkers and the syntax tree's drop run on.
pub(crate) const STACK_SIZE: usize = 128 << 20;

/// Where the guard refused a file: the byte offset of the token that went too deep, and why.
pub(crate) struct TooDeep {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Bracket,
    /// A `(` right after `if`, `while`, `for` or `with`: a `/` after its `)` starts a regex.
    StatementParen,
    /// A `{` that opens an object literal (or type): a `/` after its `}` divides.
    ObjectBrace,
    /// A `{` that opens a block: a `/` after its `}` starts a regex, as far as the guard can
    /// tell (`{}` as an expression statement's end cannot be told apart without the parser).
    BlockBrace,
    /// The `${` of a template literal: its `}` continues the template.
    Substitution,
    Angle,
}

/// What the last closing bracket closed, for the `/` that may follow it.
#[derive(Clone, Copy, PartialEq)]
enum Closed {
    Other,
    StatementParen,
    Object,
    Block,
}

/// Checks `fm` before parsing it with `syntax`.
pub(crate) fn check(fm: &SourceFile, syntax: Syntax) -> Result<(), TooDeep> {
    let start = fm.start_pos;
    let offset = |pos: BytePos| (pos.0.saturating_sub(start.0)) as usize;
    let mut lexer = Lexer::new(syntax, Default::default(), StringInput::from(fm), None);
    // Per open level: its kind and the tokens counted at it since its last `,`/`;`.
    let mut levels: Vec<(Open, usize)> = vec![(Open::Bracket, 0)];
    let mut total = 0usize;
    // The `Open::Angle` entries of `levels`.
    let mut open_angles = 0usize;
    let mut previous: Option<Token> = None;
    let mut previous_text = "";
    // What the last `)`/`}` closed.
    let mut closed = Closed::Other;
    let text: &str = &fm.src;

    // `first_token` reads a shebang line, as the parser does.
    let mut next: TokenAndSpan = lexer.first_token();
    loop {
        let token_and_span = next;
        if token_and_span.token == Token::Eof {
            break;
        }
        let mut token = token_and_span.token;
        let mut span = token_and_span.span;
        // A `/` where an expression cannot end starts a regular expression: read it as one,
        // as the parser would (the lexer alone reads `/` as a division).
        if matches!(token, Token::Slash | Token::DivEq)
            && !ends_expression(previous, previous_text, closed)
            && closed != Closed::Block
        {
            lexer.set_next_regexp(Some(span.lo));
            let regex = lexer.next_token();
            lexer.set_next_regexp(None);
            token = regex.token;
            span = regex.span;
        }
        // The `}` that ends a `${` substitution goes on with the template.
        let closes_substitution = token == Token::RBrace
            && levels
                .iter()
                .rev()
                .find(|(kind, _)| *kind != Open::Angle)
                .is_some_and(|(kind, _)| *kind == Open::Substitution);
        let untrusted = match token {
            Token::DollarLBrace | Token::Error => true,
            // After the `}` of a block the guard classified: a regex, unless that `{` was in
            // fact an expression the guard took for a block; it cannot tell.
            Token::Slash | Token::DivEq => !ends_expression(previous, previous_text, closed),
            _ => false,
        };
        if untrusted {
            let rest = text.get(offset(span.lo)..).unwrap_or("");
            // Every `<` left may open one more.
            let angles = rest.bytes().filter(|&b| b == b'<').count();
            if open_angles + angles > MAX_OPEN_ANGLES {
                return Err(TooDeep {
                    offset: offset(span.lo),
                    message: format!(
                        "The file is too complex to read safely after this point \
                         (a regular expression right after a block, followed by more `<` \
                         than the {MAX_OPEN_ANGLES} that may be open at once)."
                    ),
                });
            }
            let remaining = units(rest);
            if total + remaining > MAX_NESTING {
                return Err(TooDeep {
                    offset: offset(span.lo),
                    message: format!(
                        "The file is too complex to read safely after this point \
                         (a regular expression right after a block, followed by more than \
                         {MAX_NESTING} tokens)."
                    ),
                });
            }
            return Ok(());
        }

        if closes_substitution {
            // Close the `<` left open inside the substitution, then the substitution itself.
            while levels.len() > 1 {
                let (kind, count) = levels.pop().unwrap_or((Open::Bracket, 0));
                total -= count;
                if kind != Open::Angle {
                    break;
                }
                open_angles -= 1;
            }
            let continued = lexer.rescan_template_token(span.lo, false);
            match continued.token {
                Token::TemplateMiddle => {
                    bump(&mut levels, &mut total);
                    levels.push((Open::Substitution, 0));
                }
                Token::TemplateTail => bump(&mut levels, &mut total),
                // An unterminated template: a syntax error for the parser, nothing to bound.
                _ => return Ok(()),
            }
            closed = Closed::Other;
            previous = Some(Token::NoSubstitutionTemplateLiteral);
            previous_text = "";
            next = lexer.next_token();
            continue;
        }

        match token {
            Token::LParen
                if matches!(
                    previous,
                    Some(Token::If | Token::While | Token::For | Token::With)
                ) =>
            {
                bump(&mut levels, &mut total);
                levels.push((Open::StatementParen, 0));
            }
            Token::LBrace => {
                let kind = if opens_object(previous, previous_text) {
                    Open::ObjectBrace
                } else {
                    Open::BlockBrace
                };
                bump(&mut levels, &mut total);
                levels.push((kind, 0));
            }
            Token::TemplateHead => {
                bump(&mut levels, &mut total);
                levels.push((Open::Substitution, 0));
            }
            Token::LParen | Token::LBracket => {
                bump(&mut levels, &mut total);
                levels.push((Open::Bracket, 0));
            }
            Token::Lt => {
                bump(&mut levels, &mut total);
                levels.push((Open::Angle, 0));
                open_angles += 1;
                if open_angles > MAX_OPEN_ANGLES {
                    return Err(TooDeep {
                        offset: offset(span.lo),
                        message: format!(
                            "The file has too many `<` open at once to be read safely (more than \
                             {MAX_OPEN_ANGLES} unclosed type argument lists or comparisons)."
                        ),
                    });
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                // Close up to and including the nearest bracket; `<` that were comparisons
                // close with it.
                closed = Closed::Other;
                while levels.len() > 1 {
                    let (kind, count) = levels.pop().unwrap_or((Open::Bracket, 0));
                    total -= count;
                    if kind != Open::Angle {
                        closed = match kind {
                            Open::StatementParen => Closed::StatementParen,
                            Open::ObjectBrace => Closed::Object,
                            Open::BlockBrace => Closed::Block,
                            _ => Closed::Other,
                        };
                        break;
                    }
                    open_angles -= 1;
                }
                bump(&mut levels, &mut total);
            }
            Token::Gt
            | Token::GtEq
            | Token::RShift
            | Token::RShiftEq
            | Token::ZeroFillRShift
            | Token::ZeroFillRShiftEq => {
                let closes = match token {
                    Token::RShift | Token::RShiftEq => 2,
                    Token::ZeroFillRShift | Token::ZeroFillRShiftEq => 3,
                    _ => 1,
                };
                for _ in 0..closes {
                    if levels.len() > 1
                        && levels.last().is_some_and(|(kind, _)| *kind == Open::Angle)
                    {
                        let (_, count) = levels.pop().unwrap_or((Open::Angle, 0));
                        total -= count;
                        open_angles -= 1;
                    }
                }
                bump(&mut levels, &mut total);
            }
            Token::Comma | Token::Semi => {
                if token == Token::Semi {
                    while levels.len() > 1
                        && levels.last().is_some_and(|(kind, _)| *kind == Open::Angle)
                    {
                        let (_, count) = levels.pop().unwrap_or((Open::Angle, 0));
                        total -= count;
                        open_angles -= 1;
                    }
                }
                if let Some((_, count)) = levels.last_mut() {
                    total -= *count;
                    *count = 0;
                }
            }
            _ => bump(&mut levels, &mut total),
        }
        if total > MAX_NESTING {
            return Err(TooDeep {
                offset: offset(span.lo),
                message: format!(
                    "The file nests too deeply to be read safely (more than {MAX_NESTING} levels)."
                ),
            });
        }
        if !matches!(token, Token::RParen | Token::RBracket | Token::RBrace) {
            closed = Closed::Other;
        }
        previous = Some(token);
        previous_text = text.get(offset(span.lo)..offset(span.hi)).unwrap_or("");
        next = lexer.next_token();
    }
    Ok(())
}

/// An upper bound on the number of tokens in `text`: each run of identifier characters counts
/// once, every other non-whitespace character once (a token is at least one of those).
fn units(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        let word = c.is_alphanumeric() || c == '_' || c == '$';
        if word {
            if !in_word {
                count += 1;
            }
        } else if !c.is_whitespace() {
            count += 1;
        }
        in_word = word;
    }
    count
}

fn bump(levels: &mut [(Open, usize)], total: &mut usize) {
    if let Some((_, count)) = levels.last_mut() {
        *count += 1;
        *total += 1;
    }
}

/// Whether a `/` after `previous` is certainly a division: only after tokens that end an
/// expression and cannot be followed by a regular expression. Anything else (the `)` of an
/// `if (...)`, the `}` of a block, keywords, contextual keywords such as `of`) is treated as a
/// possible regex start.
fn ends_expression(previous: Option<Token>, previous_text: &str, closed: Closed) -> bool {
    match previous {
        Some(
            Token::Num
            | Token::Str
            | Token::BigInt
            | Token::RBracket
            | Token::Regex
            | Token::This
            | Token::Super
            | Token::Null
            | Token::True
            | Token::False,
        ) => true,
        Some(Token::RParen) => closed != Closed::StatementParen,
        Some(Token::RBrace) => closed == Closed::Object,
        Some(Token::NoSubstitutionTemplateLiteral | Token::TemplateTail) => true,
        Some(Token::Ident) => !matches!(previous_text, "of" | "yield" | "await" | "async" | "as"),
        _ => false,
    }
}

/// Whether a `{` after `previous` opens an object literal or an object type rather than a
/// block: after tokens that expect an expression or a type (`=`, `(`, `,`, `:`, operators,
/// `return`, ...). After `)`, `=>`, `;`, `}` or at the start it opens a block.
fn opens_object(previous: Option<Token>, previous_text: &str) -> bool {
    match previous {
        None
        | Some(
            Token::RParen
            | Token::RBrace
            | Token::Semi
            | Token::Arrow
            | Token::Else
            | Token::Do
            | Token::Try
            | Token::Finally,
        ) => false,
        Some(Token::Ident) => matches!(previous_text, "as" | "satisfies" | "of" | "in" | "is"),
        Some(
            Token::Num
            | Token::Str
            | Token::BigInt
            | Token::RBracket
            | Token::Regex
            | Token::This
            | Token::Super
            | Token::Null
            | Token::True
            | Token::False
            | Token::NoSubstitutionTemplateLiteral
            | Token::TemplateTail,
        ) => false,
        Some(_) => true,
    }
}
