//! prettier's document IR and its printer (`printDocToString`), for the subset of commands the
//! schema and rules files need.
//!
//! The algorithm is prettier 3's, step for step: a stack of commands in break or flat mode,
//! `fits` measuring the rest of the line (including the commands still on the stack), groups
//! that break when their content does not fit, conditional groups trying their states in order,
//! `fill`, and break propagation from hard lines to every enclosing group except conditional
//! ones. Where prettier computes break propagation in a pass over the finished document, the
//! constructors here compute it bottom-up, which gives the same flags.

use std::rc::Rc;

use super::width::string_width;

/// A document: text and layout commands.
#[derive(Debug, Clone)]
pub(super) enum Doc {
    Text(String),
    Concat(Vec<Doc>),
    Indent(Box<Doc>),
    Group(Box<Group>),
    /// `line` (space or newline), `softline` (nothing or newline) or a hard newline.
    Line(LineKind),
    BreakParent,
    IfBreak {
        break_contents: Box<Doc>,
        flat_contents: Box<Doc>,
        group_id: Option<GroupId>,
    },
    IndentIfBreak {
        contents: Box<Doc>,
        group_id: GroupId,
    },
    LineSuffixBoundary,
    Fill(Vec<Doc>),
    /// A sub-document used in several places (conditional groups list the same content in
    /// each of their states), shared instead of copied.
    Shared(Rc<Doc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineKind {
    Line,
    Soft,
    Hard,
}

/// Identifies a group whose printed mode `IfBreak` / `IndentIfBreak` look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct GroupId(usize);

#[derive(Debug, Clone)]
pub(super) struct Group {
    contents: Doc,
    /// `shouldBreak`, or a hard break inside (propagated).
    brk: bool,
    expanded_states: Option<Vec<Doc>>,
    id: Option<GroupId>,
}

/// Hands out group ids for one document.
#[derive(Default)]
pub(super) struct Ids(usize);

impl Ids {
    pub(super) fn next(&mut self) -> GroupId {
        self.0 += 1;
        GroupId(self.0)
    }
}

pub(super) fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub(super) fn concat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}

pub(super) fn indent(contents: Doc) -> Doc {
    Doc::Indent(Box::new(contents))
}

pub(super) fn line() -> Doc {
    Doc::Line(LineKind::Line)
}

pub(super) fn softline() -> Doc {
    Doc::Line(LineKind::Soft)
}

/// `hardline`: a newline that also breaks every enclosing group.
pub(super) fn hardline() -> Doc {
    concat(vec![Doc::Line(LineKind::Hard), Doc::BreakParent])
}

pub(super) fn group(contents: Doc, should_break: bool) -> Doc {
    group_with_id(contents, should_break, None)
}

pub(super) fn group_with_id(contents: Doc, should_break: bool, id: Option<GroupId>) -> Doc {
    let brk = should_break || propagates_break(&contents);
    Doc::Group(Box::new(Group {
        contents,
        brk,
        expanded_states: None,
        id,
    }))
}

/// `conditionalGroup(states)`: the first state that fits, else the last one broken. Breaks
/// inside do not propagate through it.
pub(super) fn conditional_group(states: Vec<Doc>) -> Doc {
    let contents = states.first().cloned().unwrap_or_else(|| text(""));
    Doc::Group(Box::new(Group {
        contents,
        brk: false,
        expanded_states: Some(states),
        id: None,
    }))
}

pub(super) fn if_break(break_contents: Doc, flat_contents: Doc, group_id: Option<GroupId>) -> Doc {
    Doc::IfBreak {
        break_contents: Box::new(break_contents),
        flat_contents: Box::new(flat_contents),
        group_id,
    }
}

pub(super) fn indent_if_break(contents: Doc, group_id: GroupId) -> Doc {
    Doc::IndentIfBreak {
        contents: Box::new(contents),
        group_id,
    }
}

/// Wraps `doc` so that clones share it.
pub(super) fn shared(doc: Doc) -> Doc {
    match doc {
        Doc::Shared(_) | Doc::Text(_) => doc,
        doc => Doc::Shared(Rc::new(doc)),
    }
}

pub(super) fn fill(parts: Vec<Doc>) -> Doc {
    Doc::Fill(parts)
}

pub(super) fn join(separator: &Doc, docs: Vec<Doc>) -> Doc {
    let mut parts = Vec::with_capacity(docs.len() * 2);
    for (i, doc) in docs.into_iter().enumerate() {
        if i > 0 {
            parts.push(separator.clone());
        }
        parts.push(doc);
    }
    concat(parts)
}

/// Whether a group containing `doc` is broken by prettier's `propagateBreaks`.
fn propagates_break(doc: &Doc) -> bool {
    match doc {
        Doc::BreakParent => true,
        Doc::Text(_) | Doc::Line(_) | Doc::LineSuffixBoundary => false,
        Doc::Concat(parts) | Doc::Fill(parts) => parts.iter().any(propagates_break),
        Doc::Indent(contents) => propagates_break(contents),
        Doc::IndentIfBreak { contents, .. } => propagates_break(contents),
        Doc::IfBreak {
            break_contents,
            flat_contents,
            ..
        } => propagates_break(break_contents) || propagates_break(flat_contents),
        // A conditional group only propagates its own `shouldBreak` (never set here).
        Doc::Group(group) => group.brk,
        Doc::Shared(doc) => propagates_break(doc),
    }
}

/// prettier's `willBreak`: a broken group, a hard line or a break-parent anywhere (conditional
/// groups are looked into through their first state).
pub(super) fn will_break(doc: &Doc) -> bool {
    match doc {
        Doc::BreakParent | Doc::Line(LineKind::Hard) => true,
        Doc::Text(_) | Doc::Line(_) | Doc::LineSuffixBoundary => false,
        Doc::Concat(parts) | Doc::Fill(parts) => parts.iter().any(will_break),
        Doc::Indent(contents) | Doc::IndentIfBreak { contents, .. } => will_break(contents),
        Doc::IfBreak {
            break_contents,
            flat_contents,
            ..
        } => will_break(break_contents) || will_break(flat_contents),
        Doc::Group(group) => group.brk || will_break(&group.contents),
        Doc::Shared(doc) => will_break(doc),
    }
}

/// prettier's `canBreak`: any line at all.
pub(super) fn can_break(doc: &Doc) -> bool {
    match doc {
        Doc::Line(_) => true,
        Doc::Text(_) | Doc::BreakParent | Doc::LineSuffixBoundary => false,
        Doc::Concat(parts) | Doc::Fill(parts) => parts.iter().any(can_break),
        Doc::Indent(contents) | Doc::IndentIfBreak { contents, .. } => can_break(contents),
        Doc::IfBreak {
            break_contents,
            flat_contents,
            ..
        } => can_break(break_contents) || can_break(flat_contents),
        Doc::Group(group) => match &group.expanded_states {
            Some(states) => states.iter().any(can_break),
            None => can_break(&group.contents),
        },
        Doc::Shared(doc) => can_break(doc),
    }
}

const PRINT_WIDTH: usize = 80;
const INDENT: &str = "  ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Break,
    Flat,
}

#[derive(Clone, Copy)]
struct Command<'a> {
    indent: usize,
    mode: Mode,
    doc: &'a Doc,
    /// For `Fill`: how many parts were already printed.
    fill_offset: usize,
}

/// Group modes recorded while printing, for `IfBreak` / `IndentIfBreak` with a group id.
#[derive(Default)]
struct GroupModes(Vec<(GroupId, Mode)>);

impl GroupModes {
    fn get(&self, id: GroupId) -> Option<Mode> {
        self.0.iter().rev().find(|(i, _)| *i == id).map(|(_, m)| *m)
    }
    fn set(&mut self, id: GroupId, mode: Mode) {
        self.0.push((id, mode));
    }
}

/// `printDocToString(doc, {printWidth: 80, tabWidth: 2})`.
pub(super) fn print(doc: &Doc) -> String {
    let mut out = String::new();
    let mut position: usize = 0;
    let mut modes = GroupModes::default();
    let mut should_remeasure = false;
    let mut commands = vec![Command {
        indent: 0,
        mode: Mode::Break,
        doc,
        fill_offset: 0,
    }];
    // `indentIfBreak` in break mode needs an indent wrapper that does not exist in the tree;
    // commands carry the indentation level instead, so it is a level increase.
    while let Some(command) = commands.pop() {
        let Command {
            indent: ind,
            mode,
            doc,
            fill_offset,
        } = command;
        match doc {
            Doc::Text(s) => {
                out.push_str(s);
                position += string_width(s);
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    commands.push(Command {
                        indent: ind,
                        mode,
                        doc: part,
                        fill_offset: 0,
                    });
                }
            }
            Doc::Indent(contents) => commands.push(Command {
                indent: ind + 1,
                mode,
                doc: contents,
                fill_offset: 0,
            }),
            Doc::Group(group) => {
                let next = if mode == Mode::Flat && !should_remeasure {
                    Command {
                        indent: ind,
                        mode: if group.brk { Mode::Break } else { Mode::Flat },
                        doc: &group.contents,
                        fill_offset: 0,
                    }
                } else {
                    should_remeasure = false;
                    let remaining = PRINT_WIDTH as isize - position as isize;
                    let flat = Command {
                        indent: ind,
                        mode: Mode::Flat,
                        doc: &group.contents,
                        fill_offset: 0,
                    };
                    if !group.brk && fits(flat, &commands, remaining, &modes, false) {
                        flat
                    } else if let Some(states) = &group.expanded_states {
                        let most_expanded = states.last().unwrap_or(&group.contents);
                        let mut chosen = None;
                        if !group.brk {
                            for state in states.iter().take(states.len().saturating_sub(1)).skip(1)
                            {
                                let candidate = Command {
                                    indent: ind,
                                    mode: Mode::Flat,
                                    doc: state,
                                    fill_offset: 0,
                                };
                                if fits(candidate, &commands, remaining, &modes, false) {
                                    chosen = Some(candidate);
                                    break;
                                }
                            }
                        }
                        chosen.unwrap_or(Command {
                            indent: ind,
                            mode: Mode::Break,
                            doc: most_expanded,
                            fill_offset: 0,
                        })
                    } else {
                        Command {
                            indent: ind,
                            mode: Mode::Break,
                            doc: &group.contents,
                            fill_offset: 0,
                        }
                    }
                };
                if let Some(id) = group.id {
                    modes.set(id, next.mode);
                }
                commands.push(next);
            }
            Doc::Fill(parts) => {
                let remaining = PRINT_WIDTH as isize - position as isize;
                let parts = &parts[fill_offset.min(parts.len())..];
                let Some(content) = parts.first() else {
                    continue;
                };
                let flat = |doc| command_at(ind, Mode::Flat, doc);
                let brk = |doc| command_at(ind, Mode::Break, doc);
                let content_fits = fits(flat(content), &[], remaining, &modes, true);
                if parts.len() == 1 {
                    commands.push(if content_fits {
                        flat(content)
                    } else {
                        brk(content)
                    });
                    continue;
                }
                let whitespace = &parts[1];
                if parts.len() == 2 {
                    if content_fits {
                        commands.push(flat(whitespace));
                        commands.push(flat(content));
                    } else {
                        commands.push(brk(whitespace));
                        commands.push(brk(content));
                    }
                    continue;
                }
                let pair = Doc::Concat(vec![content.clone(), whitespace.clone(), parts[2].clone()]);
                let pair_fits = fits(
                    command_at(ind, Mode::Flat, &pair),
                    &[],
                    remaining,
                    &modes,
                    true,
                );
                commands.push(Command {
                    indent: ind,
                    mode,
                    doc,
                    fill_offset: fill_offset + 2,
                });
                if pair_fits {
                    commands.push(flat(whitespace));
                    commands.push(flat(content));
                } else if content_fits {
                    commands.push(brk(whitespace));
                    commands.push(flat(content));
                } else {
                    commands.push(brk(whitespace));
                    commands.push(brk(content));
                }
            }
            Doc::IfBreak {
                break_contents,
                flat_contents,
                group_id,
            } => {
                let group_mode = group_id.map_or(Some(mode), |id| modes.get(id));
                let contents = match group_mode {
                    Some(Mode::Break) => Some(&**break_contents),
                    Some(Mode::Flat) => Some(&**flat_contents),
                    None => None,
                };
                if let Some(contents) = contents {
                    commands.push(Command {
                        indent: ind,
                        mode,
                        doc: contents,
                        fill_offset: 0,
                    });
                }
            }
            Doc::IndentIfBreak { contents, group_id } => match modes.get(*group_id) {
                Some(Mode::Break) => commands.push(Command {
                    indent: ind + 1,
                    mode,
                    doc: contents,
                    fill_offset: 0,
                }),
                Some(Mode::Flat) => commands.push(Command {
                    indent: ind,
                    mode,
                    doc: contents,
                    fill_offset: 0,
                }),
                None => {}
            },
            Doc::LineSuffixBoundary | Doc::BreakParent => {}
            Doc::Shared(inner) => commands.push(Command {
                indent: ind,
                mode,
                doc: inner,
                fill_offset,
            }),
            Doc::Line(kind) => {
                if mode == Mode::Flat && *kind != LineKind::Hard {
                    if *kind == LineKind::Line {
                        out.push(' ');
                        position += 1;
                    }
                    continue;
                }
                if mode == Mode::Flat {
                    should_remeasure = true;
                }
                // A newline drops the trailing whitespace of the line it ends.
                let trimmed = out.trim_end_matches([' ', '\t']).len();
                out.truncate(trimmed);
                out.push('\n');
                for _ in 0..ind {
                    out.push_str(INDENT);
                }
                position = ind * INDENT.len();
            }
        }
    }
    out
}

fn command_at(indent: usize, mode: Mode, doc: &Doc) -> Command<'_> {
    Command {
        indent,
        mode,
        doc,
        fill_offset: 0,
    }
}

/// prettier's `fits`: whether `next`, followed by the commands still on the stack, reaches the
/// end of the line (or a possible line break) within `width` columns.
fn fits(
    next: Command<'_>,
    rest: &[Command<'_>],
    width: isize,
    modes: &GroupModes,
    must_be_flat: bool,
) -> bool {
    let mut width = width;
    let mut rest_index = rest.len();
    let mut pending_space = false;
    let mut stack: Vec<(Mode, &Doc, usize)> = vec![(next.mode, next.doc, next.fill_offset)];
    while width >= 0 {
        let Some((mode, doc, fill_offset)) = stack.pop() else {
            if rest_index == 0 {
                return true;
            }
            rest_index -= 1;
            let command = rest[rest_index];
            stack.push((command.mode, command.doc, command.fill_offset));
            continue;
        };
        match doc {
            Doc::Text(s) => {
                if !s.is_empty() {
                    if pending_space {
                        width -= 1;
                        pending_space = false;
                    }
                    width -= string_width(s) as isize;
                }
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    stack.push((mode, part, 0));
                }
            }
            Doc::Fill(parts) => {
                for part in parts.iter().skip(fill_offset).rev() {
                    stack.push((mode, part, 0));
                }
            }
            Doc::Indent(contents) | Doc::IndentIfBreak { contents, .. } => {
                stack.push((mode, contents, 0));
            }
            Doc::Group(group) => {
                if must_be_flat && group.brk {
                    return false;
                }
                let group_mode = if group.brk { Mode::Break } else { mode };
                let contents = match (&group.expanded_states, group_mode) {
                    (Some(states), Mode::Break) => states.last().unwrap_or(&group.contents),
                    _ => &group.contents,
                };
                stack.push((group_mode, contents, 0));
            }
            Doc::IfBreak {
                break_contents,
                flat_contents,
                group_id,
            } => {
                let group_mode = match group_id {
                    Some(id) => modes.get(*id).unwrap_or(Mode::Flat),
                    None => mode,
                };
                let contents = if group_mode == Mode::Break {
                    break_contents
                } else {
                    flat_contents
                };
                stack.push((mode, contents, 0));
            }
            Doc::Line(kind) => {
                if mode == Mode::Break || *kind == LineKind::Hard {
                    return true;
                }
                if *kind == LineKind::Line {
                    pending_space = true;
                }
            }
            Doc::LineSuffixBoundary | Doc::BreakParent => {}
            Doc::Shared(inner) => stack.push((mode, inner, fill_offset)),
        }
    }
    false
}
