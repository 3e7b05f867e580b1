//! Two patterns compared as languages: the sets of values they accept.
//!
//! Both are compiled to DFAs with the generator's own compiler
//! ([`crate::codegen::pattern`]: ECMA-262, unanchored as JSON Schema reads it), and
//! the product automaton is searched breadth-first for the shortest value
//! that one accepts and the other refuses, in each direction. None either
//! way: the same language; one way only: narrower or wider; both ways:
//! neither. The values found are the witnesses a review shows.

use std::collections::{HashMap, VecDeque};

use crate::codegen::pattern::{self, Dfa};

/// How a new pattern relates to the old one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Both accept the same values (the pattern was only rewritten).
    Equal,
    /// The new pattern refuses `refused`, which the old one accepted, and
    /// accepts nothing the old one refused.
    Narrower { refused: String },
    /// The new pattern accepts `accepted`, which the old one refused, and
    /// refuses nothing the old one accepted.
    Wider { accepted: String },
    /// Each accepts a value the other refuses.
    Incomparable { refused: String, accepted: String },
}

/// Compares the old and the new pattern; `None` for either side means no
/// pattern (every value). `Err` says why it cannot be decided (a pattern
/// that is not regular, or too large for a table).
pub fn compare(old: Option<&str>, new: Option<&str>) -> Result<Relation, String> {
    let compile = |pattern: Option<&str>| -> Result<Dfa, String> {
        match pattern {
            None => universal(),
            Some(source) => {
                pattern::compile(source).map_err(|reason| format!("`{source}`: {reason}"))
            }
        }
    };
    let (old, new) = (compile(old)?, compile(new)?);
    Ok(
        match (
            shortest_difference(&old, &new),
            shortest_difference(&new, &old),
        ) {
            (None, None) => Relation::Equal,
            (Some(refused), None) => Relation::Narrower { refused },
            (None, Some(accepted)) => Relation::Wider { accepted },
            (Some(refused), Some(accepted)) => Relation::Incomparable { refused, accepted },
        },
    )
}

/// The DFA that accepts every value: what "no pattern" allows. Every value
/// is valid UTF-8, so this is the empty pattern's automaton (which accepts
/// exactly the UTF-8 strings), not one that takes any byte: a witness is
/// always a string a caller could send.
fn universal() -> Result<Dfa, String> {
    pattern::compile("")
}

/// Bytes in the order a witness prefers them: letters, digits and the
/// usual punctuation read best in a review; the rest only when needed.
fn preference(byte: u8) -> (u8, u8) {
    let rank = match byte {
        b'a'..=b'z' => 0,
        b'0'..=b'9' => 1,
        b'A'..=b'Z' => 2,
        b'-' | b'_' | b'.' => 3,
        0x21..=0x7e => 4,
        b' ' => 5,
        0x80..=0xff => 6,
        _ => 7,
    };
    (rank, byte)
}

/// A state of the product automaton: one state of each.
type Pair = (u16, u16);

/// The shortest value that `a` accepts and `b` refuses, if there is one
/// (breadth-first over pairs of states; among the shortest, the one made of
/// the most readable bytes).
pub fn shortest_difference(a: &Dfa, b: &Dfa) -> Option<String> {
    // One byte per pair of classes: bytes of the same pair move both
    // automata alike.
    let mut bytes: Vec<u8> = (0..=255).collect();
    bytes.sort_by_key(|&byte| preference(byte));
    let mut representatives: Vec<u8> = Vec::new();
    let mut seen_pairs: Vec<(u8, u8)> = Vec::new();
    for byte in bytes {
        let pair = (a.classes[usize::from(byte)], b.classes[usize::from(byte)]);
        if !seen_pairs.contains(&pair) {
            seen_pairs.push(pair);
            representatives.push(byte);
        }
    }
    let start = (Dfa::START, Dfa::START);
    // Each pair of states reached, with the pair and byte it was reached
    // from (the start has none): the path back spells the witness.
    let mut parent: HashMap<Pair, Option<(Pair, u8)>> = HashMap::from([(start, None)]);
    let mut queue = VecDeque::from([start]);
    while let Some(state) = queue.pop_front() {
        let (sa, sb) = state;
        if a.accepting[usize::from(sa)] && !b.accepting[usize::from(sb)] {
            let mut value = Vec::new();
            let mut at = state;
            while let Some(Some((previous, byte))) = parent.get(&at) {
                value.push(*byte);
                at = *previous;
            }
            value.reverse();
            return Some(String::from_utf8_lossy(&value).into_owned());
        }
        for &byte in &representatives {
            let next = (a.step(sa, byte), b.step(sb, byte));
            // Nothing `a` refuses for good can lead to a witness.
            if next.0 == Dfa::DEAD || parent.contains_key(&next) {
                continue;
            }
            parent.insert(next, Some((state, byte)));
            queue.push_back(next);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relation(old: &str, new: &str) -> Relation {
        compare(Some(old), Some(new)).unwrap()
    }

    #[test]
    fn relations_with_witnesses() {
        assert_eq!(relation("^[a-z]+$", "^[a-z]{1,}$"), Relation::Equal);
        assert_eq!(
            relation("^[a-z0-9]+$", "^[a-z]+$"),
            Relation::Narrower {
                refused: "0".into()
            }
        );
        assert_eq!(
            relation("^[a-z]{1,36}$", "^[a-z]{1,64}$"),
            Relation::Wider {
                accepted: "a".repeat(37)
            }
        );
        assert_eq!(
            relation("^[a-z]+$", "^[0-9a-z]{2}$"),
            Relation::Incomparable {
                refused: "a".into(),
                accepted: "a0".into()
            }
        );
    }

    #[test]
    fn no_pattern_is_every_value() {
        assert_eq!(
            compare(None, Some("^[a-z]+$")).unwrap(),
            Relation::Narrower { refused: "".into() }
        );
        assert_eq!(
            compare(Some("^[a-z]*$"), None).unwrap(),
            Relation::Wider {
                accepted: "0".into()
            }
        );
        assert_eq!(compare(Some("[\\s\\S]*"), None).unwrap(), Relation::Equal);
    }

    #[test]
    fn witnesses_can_be_any_character() {
        // Any one character (`.` would leave out line terminators), then
        // only ASCII: the witness is a non-ASCII character, as a string.
        let Relation::Narrower { refused } = relation("^[\\s\\S]$", "^[\\x00-\\x7f]$") else {
            panic!("narrower")
        };
        assert_eq!(refused.chars().count(), 1);
        assert!(!refused.is_ascii());
        // ECMA's `.` leaves out line feeds: incomparable with ASCII.
        assert_eq!(
            relation("^.$", "^[\\x00-\\x7f]$"),
            Relation::Incomparable {
                refused: "\u{80}".into(),
                accepted: "\n".into()
            }
        );
    }

    #[test]
    fn patterns_that_are_not_regular_cannot_be_decided() {
        let err = compare(Some("^(a)\\1$"), Some("^a$")).unwrap_err();
        assert!(err.contains("backreference"), "{err}");
    }
}
