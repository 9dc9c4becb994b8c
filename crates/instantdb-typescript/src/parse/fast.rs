//! A fast path for the common case: files in the shape the generators write (raw or prettier
//! style) and close variants of it.
//!
//! swc spends most of its time on generality this crate does not need, and parsing must be
//! well over an order of magnitude faster than upstream's Babel walk. This module recognises a
//! small, strict subset of TypeScript (imports, `const`/`let`/`var` declarations, `export`
//! forms, the generated `type`/`interface` footer, object and array literals, strings, numbers,
//! `i.x(...)` call chains, `satisfies T` and `as const`) and builds the same swc syntax tree swc
//! would build for it, so the same walkers read it. Anything outside the subset, including any
//! input whose validity would need a real parser to decide, makes it return `None`, and the file
//! goes through swc. Errors always come from the swc path (the walkers' result on this tree is
//! discarded when it is an error), so positions and messages do not depend on the path taken.
//! The fuzz targets check that both paths agree on every input.

use std::borrow::Cow;
use std::collections::HashSet;

use instantdb_schema::{
    AttrDef, EntityDef, Has, IndexMap, LinkDef, LinkForward, LinkReverse, OnDelete, RoomDef,
    SchemaDef, ValueType,
};
use serde_json::Value;

use swc_common::{DUMMY_SP, SyntaxContext};
use swc_ecma_ast::{
    ArrayLit, BindingIdent, Bool, CallExpr, Callee, Decl, ExportDecl, ExportDefaultExpr,
    ExportNamedSpecifier, ExportSpecifier, Expr, ExprOrSpread, Ident, IdentName, ImportDecl,
    ImportNamedSpecifier, ImportPhase, ImportSpecifier, ImportStarAsSpecifier, KeyValueProp, Lit,
    MemberExpr, MemberProp, Module, ModuleDecl, ModuleExportName, ModuleItem, NamedExport, Null,
    Number, ObjectLit, ParenExpr, Pat, Prop, PropName, PropOrSpread, Stmt, Str, TsConstAssertion,
    TsEntityName, TsSatisfiesExpr, TsType, TsTypeAnn, TsTypeRef, UnaryExpr, UnaryOp, VarDecl,
    VarDeclKind, VarDeclarator,
};

/// Deeper literals go through swc (and its nesting guard).
const MAX_DEPTH: usize = 64;

/// Parses `src` if it is within the subset.
pub(crate) fn parse(src: &str) -> Option<Module> {
    let mut parser = Parser::new(src);
    parser.module()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    /// A string literal's source between the quotes (escapes already checked).
    Str(&'a str),
    Num(f64),
    Punct(u8),
    Eof,
}

struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// The next token and whether a line break preceded it; `None` outside the subset.
    fn next(&mut self) -> Option<(Token<'a>, bool)> {
        // Most tokens follow another directly.
        let newline = match self.src.get(self.pos) {
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'/') => self.skip_trivia()?,
            _ => false,
        };
        let Some(&byte) = self.src.get(self.pos) else {
            return Some((Token::Eof, newline));
        };
        let token = match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => {
                let start = self.pos;
                self.pos += run_of(&self.src[start..], &WORD);
                Token::Word(self.text.get(start..self.pos)?)
            }
            b'0'..=b'9' => Token::Num(self.number()?),
            b'"' | b'\'' => Token::Str(self.string(byte)?),
            b'{' | b'}' | b'(' | b')' | b'[' | b']' | b',' | b';' | b':' | b'=' | b'-' | b'*' => {
                self.pos += 1;
                // `.` must not start `...` or a number.
                Token::Punct(byte)
            }
            b'.' => {
                self.pos += 1;
                if self
                    .src
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
                {
                    return None;
                }
                Token::Punct(b'.')
            }
            _ => return None,
        };
        Some((token, newline))
    }

    /// Skips whitespace and comments; `Some(true)` if a line break was skipped.
    fn skip_trivia(&mut self) -> Option<bool> {
        let mut newline = false;
        loop {
            match self.src.get(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => {
                    let rest = &self.src[self.pos..];
                    let mut run = 0;
                    let mut seen = 0;
                    while let Some(&b) = rest.get(run) {
                        let class = WHITESPACE[usize::from(b)];
                        if class == 0 {
                            break;
                        }
                        seen |= class;
                        run += 1;
                    }
                    newline |= seen & LINE_BREAK != 0;
                    self.pos += run;
                }
                Some(b'/') => newline |= self.comment()?,
                _ => return Some(newline),
            }
        }
    }

    /// Skips the comment at the current position; `Some(true)` if it spans a line break. Kept
    /// apart so that the whitespace loop stays small.
    #[inline(never)]
    fn comment(&mut self) -> Option<bool> {
        match self.src.get(self.pos + 1) {
            Some(b'/') => {
                let rest = self.text.get(self.pos..)?;
                let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
                // U+2028/U+2029 end a comment in JS; leave such files to swc.
                if rest[..end].contains(['\u{2028}', '\u{2029}']) {
                    return None;
                }
                self.pos += end;
                Some(false)
            }
            Some(b'*') => {
                let end = self.text.get(self.pos + 2..)?.find("*/")?;
                let comment = &self.text[self.pos + 2..self.pos + 2 + end];
                if comment.contains(['\u{2028}', '\u{2029}']) {
                    return None;
                }
                self.pos += end + 4;
                Some(comment.contains(['\n', '\r']))
            }
            _ => None,
        }
    }

    /// A decimal number without separators, legacy octal or a leading dot.
    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        let digits = |lexer: &mut Lexer<'_>| {
            let from = lexer.pos;
            while lexer.src.get(lexer.pos).is_some_and(u8::is_ascii_digit) {
                lexer.pos += 1;
            }
            lexer.pos - from
        };
        let int = digits(self);
        if int > 1 && self.src[start] == b'0' {
            return None;
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.src.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.src.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        if self
            .src
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' || *b == b'.')
        {
            return None;
        }
        self.text[start..self.pos].parse().ok()
    }

    /// A string literal with simple escapes only: its source between the quotes.
    fn string(&mut self, quote: u8) -> Option<&'a str> {
        self.pos += 1;
        let start = self.pos;
        loop {
            // 0xE2 starts U+2028/U+2029 (and other characters, which then take the slow path).
            let rest = self.src.get(self.pos..)?;
            self.pos += run_of(rest, &STRING_TEXT);
            match *self.src.get(self.pos)? {
                b'\\' => {
                    let (_, len) = escape(self.text.get(self.pos + 1..)?)?;
                    self.pos += 1 + len;
                }
                b if b == quote => {
                    let raw = self.text.get(start..self.pos)?;
                    self.pos += 1;
                    return Some(raw);
                }
                // The other quote is text.
                b'"' | b'\'' => self.pos += 1,
                0xE2 => {
                    let c = self.text.get(self.pos..)?.chars().next()?;
                    if matches!(c, '\u{2028}' | '\u{2029}') {
                        return None;
                    }
                    self.pos += c.len_utf8();
                }
                _ => return None,
            }
        }
    }
}

impl<'a> Lexer<'a> {
    /// `i.<type>()` after any trivia, written without anything between its tokens; `None`, with
    /// nothing consumed, when it is not there in exactly that form.
    fn attr_head(&mut self) -> Option<ValueType> {
        let start = self.pos;
        let found = self.skip_trivia().and_then(|_| {
            let name = self.src.get(self.pos..)?.strip_prefix(b"i.")?;
            let len = run_of(name, &WORD);
            let value_type = value_type(&name[..len])?;
            name[len..]
                .starts_with(b"()")
                .then_some((value_type, len + 4))
        });
        match found {
            Some((value_type, len)) => {
                self.pos += len;
                Some(value_type)
            }
            None => {
                self.pos = start;
                None
            }
        }
    }

    /// A whole attribute line of a generated file after any trivia: a quoted name without
    /// escapes, `:`, `i.<type>()`, `.<modifier>()`s and `,`, with nothing between the tokens but
    /// the space after `:`. `None`, with nothing consumed, for anything else (the general path
    /// then reads the same bytes).
    fn attr_entry(&mut self) -> Option<(&'a str, AttrDef)> {
        let start = self.pos;
        let entry = self.attr_entry_at();
        if entry.is_none() {
            self.pos = start;
        }
        entry
    }

    fn attr_entry_at(&mut self) -> Option<(&'a str, AttrDef)> {
        self.skip_trivia()?;
        let quote = *self.src.get(self.pos)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let body = self.pos + 1;
        let end = body + run_of(self.src.get(body..)?, &STRING_TEXT);
        if self.src.get(end) != Some(&quote) {
            return None;
        }
        let key = self.text.get(body..end)?;
        if key == "__proto__" || self.src.get(end + 1) != Some(&b':') {
            return None;
        }
        self.pos = end + 2;
        let mut attr = AttrDef::new(self.attr_head()?);
        while let Some(modifier) = self.attr_modifier() {
            attr = modifier(attr);
        }
        if self.src.get(self.pos) != Some(&b',') {
            return None;
        }
        self.pos += 1;
        Some((key, attr))
    }

    /// `.<modifier>()` right at the current position; `None`, with nothing consumed, otherwise.
    fn attr_modifier(&mut self) -> Option<fn(AttrDef) -> AttrDef> {
        let name = self.src.get(self.pos..)?.strip_prefix(b".")?;
        let len = run_of(name, &WORD);
        let modifier = modifier(&name[..len])?;
        name[len..].starts_with(b"()").then(|| {
            self.pos += len + 3;
            modifier
        })
    }
}

/// The attribute builder `i.<name>()`.
fn value_type(name: &[u8]) -> Option<ValueType> {
    Some(match name {
        b"string" => ValueType::String,
        b"number" => ValueType::Number,
        b"boolean" => ValueType::Boolean,
        b"date" => ValueType::Date,
        b"json" | b"any" => ValueType::Json,
        _ => return None,
    })
}

/// The attribute modifier `.<name>()`.
fn modifier(name: &[u8]) -> Option<fn(AttrDef) -> AttrDef> {
    Some(match name {
        b"unique" => AttrDef::unique,
        b"indexed" => AttrDef::indexed,
        b"optional" => AttrDef::optional,
        b"clientRequired" => AttrDef::client_required,
        _ => return None,
    })
}

/// A table of the bytes a scanning loop runs over.
type ByteClass = [bool; 256];

/// Whitespace bytes: [`LINE_BREAK`] for `\n` and `\r`, 1 for space and tab, 0 for the rest.
const WHITESPACE: [u8; 256] = {
    let mut table = [0; 256];
    table[b' ' as usize] = 1;
    table[b'\t' as usize] = 1;
    table[b'\n' as usize] = LINE_BREAK;
    table[b'\r' as usize] = LINE_BREAK;
    table
};

/// The [`WHITESPACE`] class of line breaks.
const LINE_BREAK: u8 = 2;

/// Bytes that continue a word (ASCII identifier characters).
const WORD: ByteClass = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$';
        b += 1;
    }
    table
};

/// Bytes a string literal's text runs over without a closer look: not a quote, a backslash, a
/// line break or 0xE2.
const STRING_TEXT: ByteClass = {
    let mut table = [true; 256];
    table[b'"' as usize] = false;
    table[b'\'' as usize] = false;
    table[b'\\' as usize] = false;
    table[b'\n' as usize] = false;
    table[b'\r' as usize] = false;
    table[0xE2] = false;
    table
};

/// The length of the leading run of `bytes` in `class`.
fn run_of(bytes: &[u8], class: &ByteClass) -> usize {
    bytes
        .iter()
        .position(|&b| !class[usize::from(b)])
        .unwrap_or(bytes.len())
}

/// The character an escape (the text after a backslash) stands for, and its length; `None` for
/// escapes outside the subset (line continuations, octal, `\u{...}`, surrogates, ...).
fn escape(text: &str) -> Option<(char, usize)> {
    let bytes = text.as_bytes();
    let c = match *bytes.first()? {
        b'"' => '"',
        b'\'' => '\'',
        b'\\' => '\\',
        b'/' => '/',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'v' => '\u{b}',
        b'0' if !bytes.get(1).is_some_and(u8::is_ascii_digit) => '\0',
        b'u' => {
            let hex = text.get(1..5)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            return Some((char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 5));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// The value of a string literal from its (checked) source.
fn string_value(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut value = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(index) = rest.find('\\') {
        value.push_str(&rest[..index]);
        match escape(&rest[index + 1..]) {
            Some((c, len)) => {
                value.push(c);
                rest = &rest[index + 1 + len..];
            }
            None => {
                // Unreachable: the lexer checked every escape.
                rest = &rest[index + 1..];
            }
        }
    }
    value.push_str(rest);
    value
}

/// Words that cannot name a binding or be referenced as a plain identifier here (reserved
/// words, strict-mode and module restrictions, and contextual keywords whose meaning depends
/// on context, to stay on the safe side).
const NOT_IDENTIFIERS: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "await",
    "eval",
    "arguments",
    "as",
    "satisfies",
    "type",
    "of",
    "async",
    "get",
    "set",
    "declare",
    "abstract",
    "readonly",
    "from",
    "namespace",
    "module",
    "global",
    "keyof",
    "infer",
    "is",
    "asserts",
    "unique",
    "accessor",
    "override",
    "using",
];

fn is_identifier(word: &str) -> bool {
    !NOT_IDENTIFIERS.contains(&word)
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    /// The token after the current position, once looked at.
    peeked: Option<(Token<'a>, bool)>,
    depth: usize,
    /// Top-level bindings (types prefixed with `type `), to leave redeclarations to swc.
    bindings: HashSet<String>,
    /// Names exported from a local binding, and the exported names, checked at the end.
    exported_locals: Vec<&'a str>,
    exported_names: HashSet<String>,
    /// Attributes of the entity being read (see `attrs`).
    attr_buffer: Vec<(String, AttrDef)>,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Option<(Token<'a>, bool)> {
        if self.peeked.is_none() {
            let token = self.lexer.next()?;
            self.peeked = Some(token);
        }
        self.peeked
    }

    fn next(&mut self) -> Option<Token<'a>> {
        match self.peeked.take() {
            Some((token, _)) => Some(token),
            None => self.lexer.next().map(|(token, _)| token),
        }
    }

    fn expect(&mut self, punct: u8) -> Option<()> {
        (self.next()? == Token::Punct(punct)).then_some(())
    }

    fn expect_word(&mut self, word: &str) -> Option<()> {
        (self.next()? == Token::Word(word)).then_some(())
    }

    fn identifier(&mut self) -> Option<&'a str> {
        match self.next()? {
            Token::Word(word) if is_identifier(word) => Some(word),
            _ => None,
        }
    }

    fn export_name(&mut self, name: &str) -> Option<()> {
        self.exported_names.insert(name.to_owned()).then_some(())
    }

    fn bind(&mut self, name: &str) -> Option<()> {
        self.bindings.insert(name.to_owned()).then_some(())
    }

    /// A statement ends with `;`, a line break or the end of the file.
    fn end_statement(&mut self) -> Option<()> {
        match self.peek()? {
            (Token::Punct(b';'), _) => {
                self.next()?;
                Some(())
            }
            (Token::Eof, _) | (_, true) => Some(()),
            _ => None,
        }
    }

    fn module(&mut self) -> Option<Module> {
        let mut body = Vec::new();
        loop {
            let (token, _) = self.peek()?;
            match token {
                Token::Eof => break,
                Token::Word("import") => body.push(self.import()?),
                Token::Word("export") => {
                    if let Some(item) = self.export()? {
                        body.push(item);
                    }
                }
                Token::Word("const" | "let" | "var") => {
                    body.push(ModuleItem::Stmt(Stmt::Decl(Decl::Var(Box::new(
                        self.var_decl()?,
                    )))));
                }
                Token::Word("type") => self.type_alias()?,
                Token::Word("interface") => self.interface()?,
                Token::Punct(b';') => {
                    self.next()?;
                    body.push(ModuleItem::Stmt(Stmt::Empty(swc_ecma_ast::EmptyStmt {
                        span: DUMMY_SP,
                    })));
                }
                _ => return None,
            }
        }
        // Exports of undeclared names are errors; leave them (and duplicates) to swc.
        let declared = |name: &str| {
            self.bindings.contains(name) || self.bindings.contains(&format!("type {name}"))
        };
        if !self.exported_locals.iter().all(|name| declared(name)) {
            return None;
        }
        Some(Module {
            span: DUMMY_SP,
            body,
            shebang: None,
        })
    }

    /// `import [type] { a, b as c } from "m"` or `import * as ns from "m"`.
    fn import(&mut self) -> Option<ModuleItem> {
        self.expect_word("import")?;
        let mut type_only = false;
        if self.peek()?.0 == Token::Word("type") {
            self.next()?;
            type_only = true;
        }
        let mut specifiers = Vec::new();
        match self.next()? {
            Token::Punct(b'{') => loop {
                if self.peek()?.0 == Token::Punct(b'}') {
                    self.next()?;
                    break;
                }
                let imported = match self.next()? {
                    Token::Word(word) => word,
                    _ => return None,
                };
                let local = if self.peek()?.0 == Token::Word("as") {
                    self.next()?;
                    self.identifier()?
                } else if is_identifier(imported) {
                    imported
                } else {
                    return None;
                };
                self.bind(local)?;
                specifiers.push(ImportSpecifier::Named(ImportNamedSpecifier {
                    span: DUMMY_SP,
                    local: ident(local),
                    imported: (imported != local).then(|| ModuleExportName::Ident(ident(imported))),
                    is_type_only: false,
                }));
                match self.next()? {
                    Token::Punct(b',') => {}
                    Token::Punct(b'}') => break,
                    _ => return None,
                }
            },
            Token::Punct(b'*') => {
                self.expect_word("as")?;
                let local = self.identifier()?;
                self.bind(local)?;
                specifiers.push(ImportSpecifier::Namespace(ImportStarAsSpecifier {
                    span: DUMMY_SP,
                    local: ident(local),
                }));
            }
            _ => return None,
        }
        self.expect_word("from")?;
        let Token::Str(source) = self.next()? else {
            return None;
        };
        let source = string_value(source);
        self.end_statement()?;
        Some(ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
            span: DUMMY_SP,
            specifiers,
            src: Box::new(str_lit(source)),
            type_only,
            with: None,
            phase: ImportPhase::Evaluation,
        })))
    }

    /// `export default <expr>`, `export const ...`, `export [type] { a, b as default }`.
    fn export(&mut self) -> Option<Option<ModuleItem>> {
        self.expect_word("export")?;
        match self.peek()?.0 {
            Token::Word("default") => {
                self.next()?;
                self.export_name("default")?;
                let expr = self.expression()?;
                self.end_statement()?;
                Some(Some(ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(
                    ExportDefaultExpr {
                        span: DUMMY_SP,
                        expr: Box::new(expr),
                    },
                ))))
            }
            Token::Word("const" | "let" | "var") => {
                let decl = self.var_decl()?;
                for declarator in &decl.decls {
                    if let Pat::Ident(binding) = &declarator.name {
                        self.export_name(&binding.id.sym)?;
                    }
                }
                Some(Some(ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(
                    ExportDecl {
                        span: DUMMY_SP,
                        decl: Decl::Var(Box::new(decl)),
                    },
                ))))
            }
            Token::Word("type") | Token::Punct(b'{') => {
                let type_only = self.peek()?.0 == Token::Word("type");
                if type_only {
                    self.next()?;
                }
                self.expect(b'{')?;
                let mut specifiers = Vec::new();
                loop {
                    if self.peek()?.0 == Token::Punct(b'}') {
                        self.next()?;
                        break;
                    }
                    let orig = self.identifier()?;
                    let exported = if self.peek()?.0 == Token::Word("as") {
                        self.next()?;
                        match self.next()? {
                            Token::Word(word) => Some(word),
                            _ => return None,
                        }
                    } else {
                        None
                    };
                    self.exported_locals.push(orig);
                    self.export_name(exported.unwrap_or(orig))?;
                    specifiers.push(ExportSpecifier::Named(ExportNamedSpecifier {
                        span: DUMMY_SP,
                        orig: ModuleExportName::Ident(ident(orig)),
                        exported: exported.map(|name| ModuleExportName::Ident(ident(name))),
                        is_type_only: false,
                    }));
                    match self.next()? {
                        Token::Punct(b',') => {}
                        Token::Punct(b'}') => break,
                        _ => return None,
                    }
                }
                self.end_statement()?;
                Some(Some(ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(
                    NamedExport {
                        span: DUMMY_SP,
                        specifiers,
                        src: None,
                        type_only,
                        with: None,
                    },
                ))))
            }
            _ => None,
        }
    }

    /// `const a [: T] = <expr> [, b = <expr>]`.
    fn var_decl(&mut self) -> Option<VarDecl> {
        let kind = match self.next()? {
            Token::Word("const") => VarDeclKind::Const,
            Token::Word("let") => VarDeclKind::Let,
            Token::Word("var") => VarDeclKind::Var,
            _ => return None,
        };
        let mut decls = Vec::new();
        loop {
            let name = self.identifier()?;
            self.bind(name)?;
            let type_ann = if self.peek()?.0 == Token::Punct(b':') {
                self.next()?;
                Some(Box::new(TsTypeAnn {
                    span: DUMMY_SP,
                    type_ann: Box::new(self.type_reference()?),
                }))
            } else {
                None
            };
            self.expect(b'=')?;
            let init = self.expression()?;
            decls.push(VarDeclarator {
                span: DUMMY_SP,
                name: Pat::Ident(BindingIdent {
                    id: ident(name),
                    type_ann,
                }),
                init: Some(Box::new(init)),
                definite: false,
            });
            if self.peek()?.0 != Token::Punct(b',') {
                break;
            }
            self.next()?;
        }
        self.end_statement()?;
        Some(VarDecl {
            span: DUMMY_SP,
            ctxt: SyntaxContext::empty(),
            kind,
            declare: false,
            decls,
        })
    }

    /// A type that is a plain identifier (`AppSchema`, `InstantRules`).
    fn type_reference(&mut self) -> Option<TsType> {
        let name = self.identifier()?;
        if self.peek()?.0 == Token::Punct(b'.') {
            return None;
        }
        Some(TsType::TsTypeRef(TsTypeRef {
            span: DUMMY_SP,
            type_name: TsEntityName::Ident(ident(name)),
            type_params: None,
        }))
    }

    /// `type A = typeof b;` (the generated footer). Types never matter to the walkers.
    fn type_alias(&mut self) -> Option<()> {
        self.expect_word("type")?;
        let name = self.identifier()?;
        self.bind(&format!("type {name}"))?;
        self.expect(b'=')?;
        self.expect_word("typeof")?;
        self.identifier()?;
        if self.peek()?.0 == Token::Punct(b'.') {
            return None;
        }
        self.end_statement()
    }

    /// `interface A extends B {}` or `interface A {}`.
    fn interface(&mut self) -> Option<()> {
        self.expect_word("interface")?;
        let name = self.identifier()?;
        self.bind(&format!("type {name}"))?;
        if self.peek()?.0 == Token::Word("extends") {
            self.next()?;
            self.identifier()?;
        }
        self.expect(b'{')?;
        self.expect(b'}')?;
        Some(())
    }

    /// An expression: a postfix chain, optionally followed by `satisfies T` / `as const`.
    fn expression(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut expr = self.unary()?;
        loop {
            match self.peek()? {
                (Token::Word("satisfies"), false) => {
                    self.next()?;
                    expr = Expr::TsSatisfies(TsSatisfiesExpr {
                        span: DUMMY_SP,
                        expr: Box::new(expr),
                        type_ann: Box::new(self.type_reference()?),
                    });
                }
                (Token::Word("as"), false) => {
                    self.next()?;
                    self.expect_word("const")?;
                    expr = Expr::TsConstAssertion(TsConstAssertion {
                        span: DUMMY_SP,
                        expr: Box::new(expr),
                    });
                }
                (Token::Word("satisfies" | "as"), true) => return None,
                _ => break,
            }
        }
        self.depth -= 1;
        Some(expr)
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.peek()?.0 == Token::Punct(b'-') {
            self.next()?;
            let Token::Num(value) = self.next()? else {
                return None;
            };
            return Some(Expr::Unary(UnaryExpr {
                span: DUMMY_SP,
                op: UnaryOp::Minus,
                arg: Box::new(number(value)),
            }));
        }
        let mut expr = self.primary()?;
        loop {
            match self.peek()?.0 {
                Token::Punct(b'.') => {
                    self.next()?;
                    let Token::Word(name) = self.next()? else {
                        return None;
                    };
                    expr = Expr::Member(MemberExpr {
                        span: DUMMY_SP,
                        obj: Box::new(expr),
                        prop: MemberProp::Ident(IdentName {
                            span: DUMMY_SP,
                            sym: name.into(),
                        }),
                    });
                }
                Token::Punct(b'(') => {
                    self.next()?;
                    let mut args = Vec::new();
                    loop {
                        if self.peek()?.0 == Token::Punct(b')') {
                            self.next()?;
                            break;
                        }
                        args.push(ExprOrSpread {
                            spread: None,
                            expr: Box::new(self.expression()?),
                        });
                        match self.next()? {
                            Token::Punct(b',') => {}
                            Token::Punct(b')') => break,
                            _ => return None,
                        }
                    }
                    expr = Expr::Call(CallExpr {
                        span: DUMMY_SP,
                        ctxt: SyntaxContext::empty(),
                        callee: Callee::Expr(Box::new(expr)),
                        args,
                        type_args: None,
                    });
                }
                Token::Punct(b'[') => return None,
                _ => return Some(expr),
            }
        }
    }

    fn primary(&mut self) -> Option<Expr> {
        Some(match self.next()? {
            Token::Word("true") => Expr::Lit(Lit::Bool(Bool {
                span: DUMMY_SP,
                value: true,
            })),
            Token::Word("false") => Expr::Lit(Lit::Bool(Bool {
                span: DUMMY_SP,
                value: false,
            })),
            Token::Word("null") => Expr::Lit(Lit::Null(Null { span: DUMMY_SP })),
            Token::Word(word) if is_identifier(word) => Expr::Ident(ident(word)),
            Token::Str(raw) => Expr::Lit(Lit::Str(str_lit(string_value(raw)))),
            Token::Num(value) => number(value),
            Token::Punct(b'(') => {
                let expr = self.expression()?;
                self.expect(b')')?;
                Expr::Paren(ParenExpr {
                    span: DUMMY_SP,
                    expr: Box::new(expr),
                })
            }
            Token::Punct(b'{') => self.object()?,
            Token::Punct(b'[') => self.array()?,
            _ => return None,
        })
    }

    fn object(&mut self) -> Option<Expr> {
        let mut props = Vec::new();
        loop {
            let key = match self.next()? {
                Token::Punct(b'}') => break,
                // `__proto__` has special (and duplicate-sensitive) semantics.
                Token::Word("__proto__") => return None,
                Token::Word(word) => PropName::Ident(IdentName {
                    span: DUMMY_SP,
                    sym: word.into(),
                }),
                Token::Str(raw) => {
                    let value = string_value(raw);
                    if value == "__proto__" {
                        return None;
                    }
                    PropName::Str(str_lit(value))
                }
                Token::Num(value) => PropName::Num(Number {
                    span: DUMMY_SP,
                    value,
                    raw: None,
                }),
                _ => return None,
            };
            self.expect(b':')?;
            let value = self.expression()?;
            props.push(PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
                key,
                value: Box::new(value),
            }))));
            match self.next()? {
                Token::Punct(b',') => {}
                Token::Punct(b'}') => break,
                _ => return None,
            }
        }
        Some(Expr::Object(ObjectLit {
            span: DUMMY_SP,
            props,
        }))
    }

    fn array(&mut self) -> Option<Expr> {
        let mut elems = Vec::new();
        loop {
            if self.peek()?.0 == Token::Punct(b']') {
                self.next()?;
                break;
            }
            elems.push(Some(ExprOrSpread {
                spread: None,
                expr: Box::new(self.expression()?),
            }));
            match self.next()? {
                Token::Punct(b',') => {}
                Token::Punct(b']') => break,
                _ => return None,
            }
        }
        Some(Expr::Array(ArrayLit {
            span: DUMMY_SP,
            elems,
        }))
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name.into(), DUMMY_SP, SyntaxContext::empty())
}

fn str_lit(value: String) -> Str {
    Str {
        span: DUMMY_SP,
        value: value.into(),
        raw: None,
    }
}

fn number(value: f64) -> Expr {
    Expr::Lit(Lit::Num(Number {
        span: DUMMY_SP,
        value,
        raw: None,
    }))
}

/// The schema of a file whose `_schema` declaration is in the generated shape, read straight
/// into the model: one plain `const _schema = i.schema({...})` whose entities are
/// `i.entity({...})` with modifier chains without arguments, JSON links and plain rooms. This is
/// what the walkers compute for such files; anything else returns `None` and goes through the
/// walkers (the fuzz targets check the three paths agree).
/// Where the links JSON of a directly read schema is.
pub(crate) enum LinksSource {
    /// No `links` section: `{}`.
    Empty,
    /// The byte range of the `links` object literal in the source.
    Range(usize, usize),
}

impl LinksSource {
    /// The links JSON as written (as upstream's `astToJson` reads it).
    pub(crate) fn json(&self, src: &str) -> Option<Value> {
        match *self {
            LinksSource::Empty => Some(Value::Object(serde_json::Map::new())),
            LinksSource::Range(start, end) => {
                let text = src.get(start..end)?;
                let mut parser = Parser::new(text);
                let value = parser.json_value()?;
                (parser.next()? == Token::Eof).then_some(value)
            }
        }
    }
}

pub(crate) fn schema_direct(src: &str) -> Option<(SchemaDef, LinksSource)> {
    let mut parser = Parser::new(src);
    let mut schema = None;
    loop {
        let (token, _) = parser.peek()?;
        match token {
            Token::Eof => break,
            Token::Word("import") => {
                parser.import()?;
            }
            Token::Word("export") => {
                if matches!(parser.peek_second()?, Token::Word("const" | "let" | "var")) {
                    // `export const _schema` and friends: the general path decides.
                    return None;
                }
                parser.export()?;
            }
            Token::Word("const" | "let" | "var")
                if parser.peek_second()? == Token::Word("_schema") =>
            {
                if schema.is_some() {
                    return None;
                }
                parser.next()?;
                parser.next()?;
                parser.bind("_schema")?;
                parser.expect(b'=')?;
                schema = Some(parser.schema_call()?);
                parser.end_statement()?;
            }
            Token::Word("const" | "let" | "var") => {
                parser.var_decl()?;
            }
            Token::Word("type") => parser.type_alias()?,
            Token::Word("interface") => parser.interface()?,
            Token::Punct(b';') => {
                parser.next()?;
            }
            _ => return None,
        }
    }
    let declared = |name: &str| {
        parser.bindings.contains(name) || parser.bindings.contains(&format!("type {name}"))
    };
    if !parser.exported_locals.iter().all(|name| declared(name)) {
        return None;
    }
    schema
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        Parser {
            lexer: Lexer {
                src: src.as_bytes(),
                text: src,
                pos: 0,
            },
            peeked: None,
            depth: 0,
            bindings: HashSet::new(),
            exported_locals: Vec::new(),
            exported_names: HashSet::new(),
            attr_buffer: Vec::new(),
        }
    }

    /// A whole JSON literal (nothing may follow but the end of the text).
    fn json_value(&mut self) -> Option<Value> {
        let value = self.json_inner()?;
        Some(value)
    }

    /// The token after the peeked one (the lexer state is restored).
    fn peek_second(&mut self) -> Option<Token<'a>> {
        self.peek()?;
        let saved = self.lexer.pos;
        let token = self.lexer.next().map(|(token, _)| token);
        self.lexer.pos = saved;
        token
    }

    /// `i.<name>(` ... `)` around one object whose properties `read` consumes.
    fn i_call<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        self.expect_word("i")?;
        self.expect(b'.')?;
        let Token::Word(_) = self.next()? else {
            return None;
        };
        self.expect(b'(')?;
        self.expect(b'{')?;
        let value = read(self)?;
        if self.peek()?.0 == Token::Punct(b',') {
            self.next()?;
        }
        self.expect(b')')?;
        Some(value)
    }

    /// Properties until `}`: `key: <value read by read_value>`, with JS's duplicate-key rule.
    fn properties<V>(
        &mut self,
        mut read_value: impl FnMut(&mut Self, &str) -> Option<V>,
    ) -> Option<IndexMap<String, V>> {
        let mut entries = Vec::new();
        self.fields(|parser, key| {
            let value = read_value(parser, &key)?;
            entries.push((key.into_owned(), value));
            Some(())
        })?;
        // Inserting in order applies JS's duplicate-key rule; the map is sized once.
        let mut map = IndexMap::with_capacity(entries.len());
        map.extend(entries);
        Some(map)
    }

    /// Properties until `}`, each handed to `read_value` with its key, without collecting them:
    /// for objects read into fields, where a later duplicate simply overwrites.
    fn fields(
        &mut self,
        mut read_value: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        while let Some(key) = self.property_key()? {
            read_value(self, key)?;
            if !self.property_end()? {
                break;
            }
        }
        Some(())
    }

    /// A property's key and its `:`, or `None` at the closing `}`, with JS's rules for keys.
    fn property_key(&mut self) -> Option<Option<Cow<'a, str>>> {
        let key = match self.next()? {
            Token::Punct(b'}') => return Some(None),
            Token::Word("__proto__") => return None,
            Token::Word(word) => Cow::Borrowed(word),
            Token::Str(raw) if !raw.contains('\\') => Cow::Borrowed(raw),
            Token::Str(raw) => Cow::Owned(string_value(raw)),
            _ => return None,
        };
        if key == "__proto__" {
            return None;
        }
        if !self.eat_adjacent(b':') {
            self.expect(b':')?;
        }
        Some(Some(key))
    }

    /// After a property's value: `true` at a `,`, `false` at the closing `}`.
    fn property_end(&mut self) -> Option<bool> {
        if self.eat_adjacent(b',') {
            return Some(true);
        }
        match self.next()? {
            Token::Punct(b',') => Some(true),
            Token::Punct(b'}') => Some(false),
            _ => None,
        }
    }

    /// Consumes `punct` (`:` or `,`) straight from the bytes when it directly follows, as in
    /// generated files; otherwise consumes nothing and returns `false`.
    fn eat_adjacent(&mut self, punct: u8) -> bool {
        let adjacent = self.peeked.is_none() && self.lexer.src.get(self.lexer.pos) == Some(&punct);
        if adjacent {
            self.lexer.pos += 1;
        }
        adjacent
    }

    fn schema_call(&mut self) -> Option<(SchemaDef, LinksSource)> {
        self.i_call(|parser| {
            let mut entities = None;
            let mut links = (IndexMap::new(), LinksSource::Empty);
            let mut rooms = IndexMap::new();
            parser.fields(|parser, section| {
                match &*section {
                    "entities" => {
                        parser.expect(b'{')?;
                        entities = Some(parser.entities()?);
                    }
                    "links" => {
                        // After `:` nothing is peeked, so the object starts at the lexer.
                        let start = parser.lexer.pos;
                        parser.expect(b'{')?;
                        let defs = parser.links()?;
                        links = (defs, LinksSource::Range(start, parser.lexer.pos));
                    }
                    "rooms" => {
                        parser.expect(b'{')?;
                        rooms = parser.properties(|parser, _| {
                            parser.expect(b'{')?;
                            parser.room()
                        })?;
                    }
                    _ => {
                        // Ignored upstream, but it must be an object literal.
                        parser.expect(b'{')?;
                        parser.object()?;
                    }
                }
                Some(())
            })?;
            let schema = SchemaDef {
                entities: entities?,
                links: links.0,
                rooms,
            };
            Some((schema, links.1))
        })
    }

    /// Links in the model's shape, after the `{` of the `links` object; anything else (unknown
    /// keys, other value types) is left to the general path.
    fn links(&mut self) -> Option<IndexMap<String, LinkDef>> {
        self.properties(|parser, _| {
            parser.expect(b'{')?;
            let mut forward = None;
            let mut reverse = None;
            parser.fields(|parser, side| {
                parser.expect(b'{')?;
                let fields = parser.link_side(side == "forward")?;
                match &*side {
                    "forward" => forward = Some(fields),
                    "reverse" => reverse = Some(fields),
                    _ => return None,
                }
                Some(())
            })?;
            let (on, has, label, required, on_delete) = forward?;
            let forward = LinkForward {
                on,
                has,
                label,
                required,
                on_delete,
            };
            let (on, has, label, _, on_delete) = reverse?;
            let reverse = LinkReverse {
                on,
                has,
                label,
                on_delete,
            };
            Some(LinkDef { forward, reverse })
        })
    }

    /// `{on, has, label, required?, onDelete?}` after its `{` (`required` on the forward side
    /// only).
    #[allow(clippy::type_complexity)]
    fn link_side(
        &mut self,
        forward: bool,
    ) -> Option<(String, Has, String, Option<bool>, Option<OnDelete>)> {
        let mut on = None;
        let mut has = None;
        let mut label = None;
        let mut required = None;
        let mut on_delete = None;
        self.fields(|parser, key| {
            let token = parser.next()?;
            match (&*key, token) {
                ("on", Token::Str(raw)) => on = Some(string_value(raw)),
                ("label", Token::Str(raw)) => label = Some(string_value(raw)),
                ("has", Token::Str("one")) => has = Some(Has::One),
                ("has", Token::Str("many")) => has = Some(Has::Many),
                ("required", Token::Word("true")) if forward => required = Some(true),
                ("required", Token::Word("false")) if forward => required = Some(false),
                ("onDelete", Token::Str("cascade")) => on_delete = Some(OnDelete::Cascade),
                _ => return None,
            }
            Some(())
        })?;
        Some((on?, has?, label?, required, on_delete))
    }

    /// `{ name: i.entity({...}), ... }` after its `{`.
    fn entities(&mut self) -> Option<IndexMap<String, EntityDef>> {
        self.properties(|parser, _| parser.i_call(|parser| parser.attrs()))
    }

    /// Attributes until `}`.
    fn attrs(&mut self) -> Option<EntityDef> {
        // Collected first so that the map is sized once; the buffer is reused across entities.
        let mut entries = std::mem::take(&mut self.attr_buffer);
        entries.clear();
        let read = self.attr_entries(&mut entries);
        // Inserting in order applies JS's duplicate-key rule, as `properties` does.
        let mut attrs = IndexMap::with_capacity(entries.len());
        attrs.extend(entries.drain(..));
        self.attr_buffer = entries;
        read?;
        Some(EntityDef { attrs })
    }

    /// The attributes until `}`, in order (duplicates included). A line in the generated form,
    /// `"name": i.json().optional(),`, is read straight from the bytes; anything else token by
    /// token, as `fields` reads it.
    fn attr_entries(&mut self, entries: &mut Vec<(String, AttrDef)>) -> Option<()> {
        loop {
            if self.peeked.is_none()
                && let Some((key, attr)) = self.lexer.attr_entry()
            {
                entries.push((key.to_owned(), attr));
                continue;
            }
            let Some(key) = self.property_key()? else {
                return Some(());
            };
            entries.push((key.into_owned(), self.attr()?));
            if !self.property_end()? {
                return Some(());
            }
        }
    }

    /// `i.<type>()` and its modifiers. The generated form (`i.json().optional()`, nothing
    /// between the tokens) is read straight from the bytes; anything else, and whatever follows
    /// it, token by token.
    fn attr(&mut self) -> Option<AttrDef> {
        let direct = if self.peeked.is_none() {
            self.lexer.attr_head()
        } else {
            None
        };
        let mut attr = match direct {
            Some(value_type) => AttrDef::new(value_type),
            None => {
                self.expect_word("i")?;
                self.expect(b'.')?;
                let value_type = match self.next()? {
                    Token::Word(name) => value_type(name.as_bytes())?,
                    _ => return None,
                };
                self.expect(b'(')?;
                self.expect(b')')?;
                AttrDef::new(value_type)
            }
        };
        while self.peeked.is_none() {
            match self.lexer.attr_modifier() {
                Some(modifier) => attr = modifier(attr),
                None => break,
            }
        }
        while self.peek()?.0 == Token::Punct(b'.') {
            self.next()?;
            let modifier = match self.next()? {
                Token::Word(name) => modifier(name.as_bytes())?,
                _ => return None,
            };
            attr = modifier(attr);
            self.expect(b'(')?;
            self.expect(b')')?;
        }
        Some(attr)
    }

    /// `{ presence: i.entity({...}), topics?: {...} }` after its `{`.
    fn room(&mut self) -> Option<RoomDef> {
        let mut presence = None;
        let mut topics = None;
        self.fields(|parser, key| {
            match &*key {
                "presence" => presence = Some(parser.i_call(|parser| parser.attrs())?),
                "topics" => {
                    parser.expect(b'{')?;
                    topics = Some(parser.entities()?);
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(RoomDef {
            presence: presence?,
            topics,
        })
    }

    /// A JSON literal followed by `,`, `}`, `]` or `)`, as upstream's `astToJson` reads it.
    fn json(&mut self) -> Option<Value> {
        let value = self.json_inner()?;
        // Anything after the value (`as const`, a call, ...) is the general path's business.
        if !matches!(self.peek()?.0, Token::Punct(b',' | b'}' | b']' | b')')) {
            return None;
        }
        Some(value)
    }

    fn json_inner(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let value = match self.next()? {
            Token::Punct(b'{') => {
                let mut map = serde_json::Map::new();
                loop {
                    let key = match self.next()? {
                        Token::Punct(b'}') => break,
                        Token::Word("__proto__") => return None,
                        Token::Word(word) => word.to_owned(),
                        Token::Str(raw) => string_value(raw),
                        Token::Num(value) => crate::js::number_to_string(value),
                        _ => return None,
                    };
                    if key == "__proto__" {
                        return None;
                    }
                    self.expect(b':')?;
                    let value = self.json()?;
                    map.insert(key, value);
                    match self.next()? {
                        Token::Punct(b',') => {}
                        Token::Punct(b'}') => break,
                        _ => return None,
                    }
                }
                Value::Object(map)
            }
            Token::Punct(b'[') => {
                let mut items = Vec::new();
                loop {
                    if self.peek()?.0 == Token::Punct(b']') {
                        self.next()?;
                        break;
                    }
                    items.push(self.json()?);
                    match self.next()? {
                        Token::Punct(b',') => {}
                        Token::Punct(b']') => break,
                        _ => return None,
                    }
                }
                Value::Array(items)
            }
            Token::Str(raw) => Value::String(string_value(raw)),
            Token::Num(value) => json_number(value)?,
            Token::Word("true") => Value::Bool(true),
            Token::Word("false") => Value::Bool(false),
            Token::Word("null") => Value::Null,
            _ => return None,
        };
        self.depth -= 1;
        Some(value)
    }
}

/// A number as the walkers' `astToJson` stores it (integers as integers).
fn json_number(value: f64) -> Option<Value> {
    const SAFE: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() < SAFE {
        #[allow(clippy::cast_possible_truncation)]
        return Some(Value::from(value as i64));
    }
    serde_json::Number::from_f64(value).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn generated_and_example_files_take_the_fast_path() {
        let files = [
            include_str!("../../benches/bench.schema.ts"),
            include_str!("../../../../examples/instant.schema.ts"),
            include_str!("../../../../examples/instant.perms.ts"),
            include_str!("../../tests/rules.prettier.ts"),
            include_str!("../../tests/long-names.prettier.ts"),
        ];
        for file in files {
            assert!(parse(file).is_some(), "{file}");
        }
    }

    #[test]
    fn attributes_read_from_the_bytes_or_token_by_token_agree_with_swc() {
        let attrs = [
            "i.json()",
            "i.json().optional()",
            "i.any().unique().indexed().optional()",
            "i.string().clientRequired()",
            "i.json ()",
            "i.json( )",
            "i.json()\n        .optional()",
            "i.json() .indexed().unique ()",
            "i.json()/* c */.optional()",
            "/* c */ i.date().optional()",
            "i\n.number()",
            "i.number().optional().",
            "i.number().bogus()",
            "i.bogus()",
            "i.number(1)",
            "i.number().optional(1)",
            "i.numbers()",
            "i.number().optional().optional()",
            "i.number()\n// c\n.unique()",
            "i.9()",
            "i.$json()",
            "x.json()",
            "ii.json()",
            "i.json().optional",
        ];
        for attr in attrs {
            let src = format!(
                "import {{ i }} from \"@instantdb/core\";\n\
                 const _schema = i.schema({{\n  entities: {{\n    \"e\": i.entity({{\n      \
                 \"a\": {attr},\n      \"b\": i.string(),\n    }}),\n  }},\n}});\n\
                 export default _schema;\n"
            );
            let ours = crate::parse_schema_typescript_file(&src, "t.ts").map_err(|e| e.to_string());
            let swc = crate::fuzzing::parse_schema_with_swc(&src, "t.ts")
                .map(|wire| instantdb_schema::SchemaDef::from_wire_json(&wire).unwrap())
                .map_err(|e| e.to_string());
            assert_eq!(ours, swc, "{attr}");
        }
    }

    #[test]
    fn anything_unusual_goes_to_swc() {
        let files = [
            "const a = 1, a = 2;",
            "const _schema = i.schema({ entities: {} }); const _schema = 1;",
            "const a = `x`;",
            "const a = 'unterminated\n';",
            "const a = 1 const b = 2;",
            "const a = { __proto__: null };",
            "const a = 01;",
            "const a = '\\8';",
            "const a = b[0];",
            "const a = /re/;",
            "export { missing };",
            "export default 1; export default 2;",
            "const a = i.string<'x'>();",
            "const a = x\nsatisfies T;",
            "label: 1;",
        ];
        for file in files {
            assert!(parse(file).is_none(), "{file}");
        }
    }
}
