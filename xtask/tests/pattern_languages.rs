//! Patterns compared as languages (`spec_diff::language`), checked against
//! brute force: for each pair of the corpus, every string over a small
//! alphabet up to a length is matched with `regress` (an ECMA-262 engine,
//! independent of the generator's DFAs, unanchored as JSON Schema reads a
//! pattern), and
//!
//! - each DFA the generator compiles gives the same answer as `regress` on
//!   every string (the dialect translation and the compilation);
//! - the decided relation agrees with the enumeration: a string one pattern
//!   accepts and the other refuses exists exactly when the relation says so,
//!   as far as the enumeration reaches, and every witness the relation shows
//!   is one (checked with `regress`);
//! - the relation is the one a reader expects (the table's third column).

use xtask::codegen::pattern;
use xtask::review::spec_diff::language::{self, Relation};

/// Expected relation of the new pattern to the old one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Equal,
    Narrower,
    Wider,
    Incomparable,
}

use Expect::{Equal, Incomparable, Narrower, Wider};

/// (old, new, relation of new to old).
const CORPUS: &[(&str, &str, Expect)] = &[
    // Bounds of a class.
    ("^[a-z]{1,3}$", "^[a-z]{1,2}$", Narrower),
    ("^[a-z]{1,2}$", "^[a-z]{0,3}$", Wider),
    ("^[a-z]{2,3}$", "^[a-z]{1,2}$", Incomparable),
    ("^[a-z]+$", "^[a-z][a-z]*$", Equal),
    ("^[a-z]{2}$", "^[a-z][a-z]$", Equal),
    // The class itself.
    ("^[a-c0-1]+$", "^[a-c]+$", Narrower),
    ("^[a-c]+$", "^[a-c_-]+$", Wider),
    ("^[ab]+$", "^[bc]+$", Incomparable),
    (r"^\d+$", "^[0-9]+$", Equal),
    (r"^\w+$", "^[A-Za-z0-9_]+$", Equal),
    (r"^[^\s]+$", r"^\S+$", Equal),
    // Anchors, as written.
    ("^ab", "ab", Wider),
    ("ab", "^ab$", Narrower),
    ("ab$", "^ab", Incomparable),
    ("[0-9]", "[0-9][0-9]", Narrower),
    // Alternations and groups.
    (
        "^(cn|ap|eu)-[a-z]+-[0-9]$",
        "^(cn|ap)-[a-z]+-[0-9]$",
        Narrower,
    ),
    ("^(cn|ap)-[a-z]-[0-9]$", "^(cn|ap|eu)-[a-z]-[0-9]$", Wider),
    ("^(ab|ba)$", "^(ba|ab)$", Equal),
    ("^a(b|c)$", "^(ab|ac|ad)$", Wider),
    ("^(a|b)+$", "^a*b*$", Incomparable),
    // Shapes of ids.
    ("^[0-9a-f]{2}-[0-9a-f]{2}$", "^[0-9a-f-]{5}$", Wider),
    ("^[A-Za-z][A-Za-z0-9 ]*$", "^[A-Za-z0-9 ]+$", Wider),
    ("^[a-z .]+$", "^[a-z][a-z .]*$", Narrower),
    // The dot and optional parts.
    ("^a.c$", "^a[bc]c$", Narrower),
    ("^ab?c$", "^abc$", Narrower),
    ("^a*$", "^(aa)*$", Narrower),
];

/// The characters the patterns use, and a few they do not (a space, a
/// non-ASCII letter, a line feed), for the enumeration.
fn alphabet(old: &str, new: &str) -> Vec<char> {
    let mut chars: Vec<char> = old
        .chars()
        .chain(new.chars())
        .filter(|c| c.is_ascii_alphanumeric() || "-_ .".contains(*c))
        .chain(['x', '5', ' ', '-', 'é', '\n'])
        .collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

/// Every string over `alphabet` of at most `max` characters.
fn strings(alphabet: &[char], max: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..max {
        let mut next = Vec::with_capacity(last.len() * alphabet.len());
        for prefix in &last {
            for c in alphabet {
                let mut s = prefix.clone();
                s.push(*c);
                next.push(s);
            }
        }
        all.extend(next.iter().cloned());
        last = next;
    }
    all
}

/// The longest strings the enumeration reaches: about 200,000 strings.
fn reach(alphabet: usize) -> usize {
    let mut length = 0;
    let mut count = 1usize;
    while count.saturating_mul(alphabet) <= 200_000 {
        count *= alphabet;
        length += 1;
    }
    length.max(3)
}

fn ecma(pattern: &str) -> regress::Regex {
    regress::Regex::new(pattern).unwrap_or_else(|e| panic!("regress refuses {pattern}: {e}"))
}

#[test]
fn the_corpus_agrees_with_brute_force() {
    assert!(CORPUS.len() >= 20, "at least 20 pairs");
    for &(old, new, expected) in CORPUS {
        let (old_regex, new_regex) = (ecma(old), ecma(new));
        let (old_dfa, new_dfa) = (
            pattern::compile(old).unwrap(),
            pattern::compile(new).unwrap(),
        );
        let alphabet = alphabet(old, new);
        let max = reach(alphabet.len());
        let mut only_old = None;
        let mut only_new = None;
        for s in strings(&alphabet, max) {
            let in_old = old_regex.find(&s).is_some();
            let in_new = new_regex.find(&s).is_some();
            assert_eq!(
                old_dfa.matches(&s),
                in_old,
                "{old} on {s:?}: DFA and regress differ"
            );
            assert_eq!(
                new_dfa.matches(&s),
                in_new,
                "{new} on {s:?}: DFA and regress differ"
            );
            if in_old && !in_new && only_old.is_none() {
                only_old = Some(s.clone());
            }
            if in_new && !in_old && only_new.is_none() {
                only_new = Some(s);
            }
        }
        let relation = language::compare(Some(old), Some(new)).unwrap();
        let (refused, accepted) = match &relation {
            Relation::Equal => (None, None),
            Relation::Narrower { refused } => (Some(refused), None),
            Relation::Wider { accepted } => (None, Some(accepted)),
            Relation::Incomparable { refused, accepted } => (Some(refused), Some(accepted)),
        };
        let shown = format!("{old} -> {new}: {relation:?}");
        // Every witness is one, by the independent engine.
        if let Some(w) = refused {
            assert!(
                old_regex.find(w).is_some() && new_regex.find(w).is_none(),
                "{shown}"
            );
        }
        if let Some(w) = accepted {
            assert!(
                new_regex.find(w).is_some() && old_regex.find(w).is_none(),
                "{shown}"
            );
        }
        // What the enumeration found, the relation says.
        assert!(
            only_old.is_none() || refused.is_some(),
            "{shown}; brute force: {only_old:?}"
        );
        assert!(
            only_new.is_none() || accepted.is_some(),
            "{shown}; brute force: {only_new:?}"
        );
        // Witnesses are shortest: the enumeration, which reaches them when
        // they are short, finds none shorter.
        if let (Some(w), Some(b)) = (refused, &only_old) {
            assert!(
                w.chars().count() <= b.chars().count(),
                "{shown}; brute force: {b:?}"
            );
        }
        if let (Some(w), Some(b)) = (accepted, &only_new) {
            assert!(
                w.chars().count() <= b.chars().count(),
                "{shown}; brute force: {b:?}"
            );
        }
        let decided = match relation {
            Relation::Equal => Equal,
            Relation::Narrower { .. } => Narrower,
            Relation::Wider { .. } => Wider,
            Relation::Incomparable { .. } => Incomparable,
        };
        assert_eq!(decided, expected, "{shown}");
    }
}
