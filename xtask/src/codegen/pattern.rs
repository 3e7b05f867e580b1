//! The spec's `pattern`s as deterministic finite automata, built at
//! generation time so that the client carries a table and a ten-line
//! matcher instead of a regex engine.
//!
//! A pattern is read as OpenAPI says, in ECMA-262's dialect and unanchored
//! (a value matches when the pattern matches somewhere in it; `^` and `$`
//! anchor it where written). It is translated to the syntax of
//! `regex-syntax` where the two dialects differ (`\d`, `\w`, `\s`, `.` and
//! `\b` mean their ASCII or ECMA sets, not Unicode's), compiled by
//! `regex-automata` into a dense DFA over UTF-8 bytes, re-encoded (state 0
//! rejects everything, state 1 starts; bytes grouped into classes). Constructs that are not regular (lookaround, backreferences),
//! syntax ECMA-262 does not have (inline flags, `\A`, POSIX classes, class
//! set operations), and automata whose table would pass [`MAX_TABLE_BYTES`]
//! are refused with the reason.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};
use regex_syntax::ast::{self, Ast, ClassSet, ClassSetItem};

/// The largest transition table one pattern may have, in bytes (states ×
/// byte classes × 2): 64 KiB. Every pattern's table is compiled into the
/// client; a long bounded repetition (`[a-z]{1,5000}`) or a Unicode class
/// repeated many times would pass it, and `maxLength` says the same more
/// cheaply.
pub const MAX_TABLE_BYTES: usize = 64 * 1024;

/// How much memory `regex-automata` may use while it builds one pattern's
/// DFA (its own tables, before minimization): a pattern whose table could
/// not fit [`MAX_TABLE_BYTES`] fails here quickly instead of being
/// determinized and minimized for minutes.
const BUILD_LIMIT: usize = 4 * 1024 * 1024;

/// A pattern's DFA over the UTF-8 bytes of a value. State 0 is the dead
/// state (it rejects, and no input leaves it); state 1 is the start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dfa {
    /// The class of each byte: bytes of one class move every state alike.
    pub classes: [u8; 256],
    /// How many classes there are: the length of a row of `next`.
    pub class_count: usize,
    /// The transitions, row by row: `next[state * class_count + class]`.
    pub next: Vec<u16>,
    /// Whether a value that ends in each state matches.
    pub accepting: Vec<bool>,
}

impl Dfa {
    /// The start state.
    pub const START: u16 = 1;
    /// The dead state.
    pub const DEAD: u16 = 0;

    /// How many states it has.
    pub fn states(&self) -> usize {
        self.accepting.len()
    }

    /// The state after `byte` from `state`.
    pub fn step(&self, state: u16, byte: u8) -> u16 {
        self.next
            [usize::from(state) * self.class_count + usize::from(self.classes[usize::from(byte)])]
    }

    /// Whether `value` matches: what the generated matcher
    /// (`mrs_iam_sync_rules::Dfa::matches`) computes from the same tables.
    pub fn matches(&self, value: &str) -> bool {
        let mut state = Self::START;
        for &byte in value.as_bytes() {
            state = self.step(state, byte);
            if state == Self::DEAD {
                return false;
            }
        }
        self.accepting[usize::from(state)]
    }

    /// The size of its transition table in the generated code, in bytes.
    pub fn table_bytes(&self) -> usize {
        self.next.len() * 2
    }
}

/// Compiles a pattern of the spec. `Err` holds the reason it is refused,
/// for a message that names the schema and the pattern too.
pub fn compile(pattern: &str) -> Result<Dfa, String> {
    let translated = to_rust_syntax(pattern)?;
    // Unanchored as JSON Schema reads it: any text around a match.
    let whole = format!("(?s:.)*(?:{translated})(?s:.)*");
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                // Every match, so that no alternative is cut off: the DFA
                // decides membership, not where a match ends.
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Anchored)
                // Hopcroft's: the same language gives the same table.
                .minimize(true)
                .determinize_size_limit(Some(BUILD_LIMIT))
                .dfa_size_limit(Some(BUILD_LIMIT)),
        )
        .syntax(syntax::Config::new().unicode(true).utf8(true))
        .build(&whole)
        .map_err(|err| {
            let text = err.to_string();
            if text.contains("exceeded") || text.contains("size limit") {
                format!(
                    "its automaton grows past {} MiB while it is built: the pattern is too \
                     large for a table",
                    BUILD_LIMIT / (1024 * 1024)
                )
            } else {
                format!("it does not compile: {text}")
            }
        })?;
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::Yes))
        .map_err(|err| format!("it has no start state: {err}"))?;
    let table = reencode(&dfa, start);
    if table.table_bytes() > MAX_TABLE_BYTES {
        return Err(format!(
            "its table would take {} bytes ({} states × {} byte classes), more than the {} KiB \
             a pattern may take; bound the length with `maxLength` instead of a long repetition",
            table.table_bytes(),
            table.states(),
            table.class_count,
            MAX_TABLE_BYTES / 1024
        ));
    }
    Ok(table)
}

/// The states reachable from `start`, numbered in breadth-first order after
/// the dead state, with one column per byte; then bytes grouped into
/// classes.
fn reencode(dfa: &dense::DFA<Vec<u32>>, start: regex_automata::util::primitives::StateID) -> Dfa {
    let mut ids = BTreeMap::new();
    let mut order = vec![None, Some(start)];
    ids.insert(start, 1u16);
    let mut queue = VecDeque::from([start]);
    let mut rows: Vec<[u16; 256]> = vec![[0; 256]];
    let mut accepting = vec![false];
    while let Some(state) = queue.pop_front() {
        let mut row = [0u16; 256];
        for byte in 0..=255u8 {
            let next = dfa.next_state(state, byte);
            row[usize::from(byte)] = if dfa.is_dead_state(next) {
                Dfa::DEAD
            } else {
                *ids.entry(next).or_insert_with(|| {
                    order.push(Some(next));
                    queue.push_back(next);
                    u16::try_from(order.len() - 1).unwrap_or(u16::MAX)
                })
            };
        }
        rows.push(row);
        accepting.push(dfa.is_match_state(dfa.next_eoi_state(state)));
    }
    from_rows(&rows, accepting)
}

/// A table from one row of 256 targets per state: bytes whose column is
/// the same in every row share a class, numbered by their first byte.
fn from_rows(rows: &[[u16; 256]], accepting: Vec<bool>) -> Dfa {
    let mut classes = [0u8; 256];
    let mut columns: Vec<Vec<u16>> = Vec::new();
    for byte in 0..256 {
        let column: Vec<u16> = rows.iter().map(|row| row[byte]).collect();
        let class = match columns.iter().position(|known| *known == column) {
            Some(class) => class,
            None => {
                columns.push(column);
                columns.len() - 1
            }
        };
        classes[byte] = u8::try_from(class).unwrap_or(u8::MAX);
    }
    let class_count = columns.len();
    let mut next = Vec::with_capacity(rows.len() * class_count);
    for state in 0..rows.len() {
        next.extend(columns.iter().map(|column| column[state]));
    }
    Dfa {
        classes,
        class_count,
        next,
        accepting,
    }
}

/// ECMA-262's `\s`: its WhiteSpace and LineTerminator characters.
const ECMA_SPACE: &str = r"\x09\x0A\x0B\x0C\x0D\x20\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
/// ECMA-262's `.` without the `s` flag: anything but a line terminator.
const ECMA_DOT: &str = r"[^\x0A\x0D\x{2028}\x{2029}]";

/// An ECMA-262 pattern in `regex-syntax`'s dialect, or why it cannot be
/// compiled to a DFA.
pub fn to_rust_syntax(pattern: &str) -> Result<String, String> {
    let parsed = ast::parse::ParserBuilder::new()
        .octal(false)
        .build()
        .parse(pattern)
        .map_err(|err| match err.kind() {
            ast::ErrorKind::UnsupportedLookAround => {
                "lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) is not regular: a DFA cannot check it"
                    .to_owned()
            }
            ast::ErrorKind::UnsupportedBackreference => {
                "a backreference is not regular: a DFA cannot check it".to_owned()
            }
            kind => format!("{kind} (at byte {})", err.span().start.offset),
        })?;
    let mut edits = Vec::new();
    translate(&parsed, &mut edits)?;
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(pattern.len());
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&pattern[at..range.start]);
        out.push_str(&text);
        at = range.end;
    }
    out.push_str(&pattern[at..]);
    Ok(out)
}

type Edits = Vec<(Range<usize>, String)>;

fn span(span: &ast::Span) -> Range<usize> {
    span.start.offset..span.end.offset
}

fn not_ecma(what: &str) -> String {
    format!("{what} is not ECMA-262 syntax (OpenAPI's pattern dialect)")
}

fn translate(node: &Ast, edits: &mut Edits) -> Result<(), String> {
    match node {
        Ast::Empty(_) | Ast::Literal(_) | Ast::ClassUnicode(_) => Ok(()),
        Ast::Flags(_) => Err(not_ecma("an inline flag group such as `(?i)`")),
        Ast::Dot(at) => {
            edits.push((span(at), ECMA_DOT.to_owned()));
            Ok(())
        }
        Ast::Assertion(assertion) => match assertion.kind {
            ast::AssertionKind::StartLine | ast::AssertionKind::EndLine => Ok(()),
            ast::AssertionKind::WordBoundary => {
                edits.push((span(&assertion.span), r"(?-u:\b)".to_owned()));
                Ok(())
            }
            ast::AssertionKind::NotWordBoundary => {
                edits.push((span(&assertion.span), r"(?-u:\B)".to_owned()));
                Ok(())
            }
            _ => Err(not_ecma("`\\A`, `\\z`, `\\<`, `\\>` or `\\b{..}`")),
        },
        Ast::ClassPerl(perl) => {
            edits.push((span(&perl.span), perl_class(perl)));
            Ok(())
        }
        Ast::ClassBracketed(class) => translate_set(&class.kind, edits),
        Ast::Repetition(repetition) => translate(&repetition.ast, edits),
        Ast::Group(group) => {
            match &group.kind {
                ast::GroupKind::CaptureName {
                    starts_with_p: true,
                    ..
                } => return Err(not_ecma("`(?P<name>..)` (write `(?<name>..)`)")),
                ast::GroupKind::NonCapturing(flags) if !flags.items.is_empty() => {
                    return Err(not_ecma("a flag group such as `(?i:..)`"));
                }
                _ => {}
            }
            translate(&group.ast, edits)
        }
        Ast::Alternation(alternation) => alternation
            .asts
            .iter()
            .try_for_each(|ast| translate(ast, edits)),
        Ast::Concat(concat) => concat.asts.iter().try_for_each(|ast| translate(ast, edits)),
    }
}

fn translate_set(set: &ClassSet, edits: &mut Edits) -> Result<(), String> {
    match set {
        ClassSet::BinaryOp(_) => Err(not_ecma("a class set operation (`&&`, `--`, `~~`)")),
        ClassSet::Item(item) => translate_item(item, edits),
    }
}

fn translate_item(item: &ClassSetItem, edits: &mut Edits) -> Result<(), String> {
    match item {
        ClassSetItem::Empty(_)
        | ClassSetItem::Literal(_)
        | ClassSetItem::Range(_)
        | ClassSetItem::Unicode(_) => Ok(()),
        ClassSetItem::Ascii(_) => Err(not_ecma("a POSIX class such as `[[:alpha:]]`")),
        ClassSetItem::Bracketed(_) => Err(not_ecma("a nested class `[..[..]..]`")),
        // A nested class holds the ECMA meaning inside a bracketed one.
        ClassSetItem::Perl(perl) => {
            edits.push((span(&perl.span), perl_class(perl)));
            Ok(())
        }
        ClassSetItem::Union(union) => union
            .items
            .iter()
            .try_for_each(|item| translate_item(item, edits)),
    }
}

/// `\d`, `\w`, `\s` (and their negations) with ECMA-262's meaning, as a
/// bracketed class.
fn perl_class(perl: &ast::ClassPerl) -> String {
    let set = match perl.kind {
        ast::ClassPerlKind::Digit => "0-9",
        ast::ClassPerlKind::Word => "0-9A-Za-z_",
        ast::ClassPerlKind::Space => ECMA_SPACE,
    };
    if perl.negated {
        format!("[^{set}]")
    } else {
        format!("[{set}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ecma_meaning_of_classes_and_dot() {
        let dfa = compile(r"^\d+$").unwrap();
        assert!(dfa.matches("0123"));
        assert!(!dfa.matches("٣"), "Arabic-Indic digits are not ECMA's \\d");
        let dfa = compile(r"^\w+$").unwrap();
        assert!(dfa.matches("a_Z9"));
        assert!(!dfa.matches("é"));
        let dfa = compile(r"^\s$").unwrap();
        assert!(dfa.matches("\u{feff}") && dfa.matches("\u{a0}") && dfa.matches("\n"));
        assert!(
            !dfa.matches("\u{85}"),
            "NEL is Unicode's White_Space, not ECMA's"
        );
        let dfa = compile(r"^a.b$").unwrap();
        assert!(dfa.matches("a-b") && dfa.matches("aéb"));
        assert!(!dfa.matches("a\nb") && !dfa.matches("a\rb") && !dfa.matches("a\u{2028}b"));
        let dfa = compile(r"^[\d_]+$").unwrap();
        assert!(dfa.matches("1_2") && !dfa.matches("a"));
    }

    #[test]
    fn unanchored_as_json_schema_reads_it() {
        let dfa = compile("[0-9]").unwrap();
        assert!(dfa.matches("abc1def"));
        assert!(!dfa.matches("abc"));
        let dfa = compile("^ab").unwrap();
        assert!(dfa.matches("abc") && !dfa.matches("cab"));
        let dfa = compile("ab$").unwrap();
        assert!(dfa.matches("cab") && !dfa.matches("abc"));
        let dfa = compile("^(cn|ap|eu)-[a-z]+-[0-9]$").unwrap();
        assert!(dfa.matches("cn-north-4") && dfa.matches("eu-west-0"));
        assert!(!dfa.matches("us-east-1") && !dfa.matches("cn-north-40"));
    }

    #[test]
    fn what_is_refused_says_why() {
        for (pattern, reason) in [
            ("^(?=a)a$", "lookaround"),
            ("^(?!a).$", "lookaround"),
            (r"^(a)\1$", "backreference"),
            ("(?i)abc", "inline flag"),
            ("(?P<x>a)", "(?P<name>"),
            ("[[:alpha:]]", "POSIX class"),
            ("[a-z&&[^m]]", "class set operation"),
            (r"\Aabc", "`\\A`"),
            ("^[a-z]{1,20000}$", "more than the 64 KiB"),
            (r"^\p{L}{1,200}$", "grows past 4 MiB"),
            ("(a|b)*a(a|b){20}", "grows past 4 MiB"),
            ("(", "unclosed group"),
        ] {
            match compile(pattern) {
                Ok(dfa) => panic!("{pattern}: compiled to {} states", dfa.states()),
                Err(err) => assert!(err.contains(reason), "{pattern}: {err}"),
            }
        }
    }

    #[test]
    fn tables_are_minimal_and_deterministic() {
        let one = compile("^(ab|ab)c$").unwrap();
        let two = compile("^abc$").unwrap();
        assert_eq!(one, two, "the same language gives the same table");
        // dead, start, a, b, c (accepting).
        assert_eq!(two.states(), 5);
        let ids = compile("^[A-Za-z0-9_-]{1,64}$").unwrap();
        assert_eq!(ids.states(), 66);
        assert_eq!(ids.class_count, 2);
        assert!(ids.matches(&"a".repeat(64)) && !ids.matches(&"a".repeat(65)));
        assert!(!ids.matches("") && !ids.matches("a/b"));
    }
}
