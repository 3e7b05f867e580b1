//! What checking an id against the spec's pattern costs: the generated DFA
//! tables (`Pattern::matches`) against the character-class check they
//! replaced (each character looked up in the class's ranges, the one form
//! `^[class]{min,max}$` the generator used to accept), on the spec's two
//! patterns with ids of typical and of the longest length.
//!
//! `cargo bench -p mrs-iam-sync-rules --bench pattern` (through
//! `/work/tools/quiet run` on the shared machine).

use std::hint::black_box;
use std::ops::RangeInclusive;

use criterion::{Criterion, criterion_group, criterion_main};
use mrs_iam_sync_rules::{CLUSTER_ID, PROJECT_ID, PathParam};

/// The check before the DFA tables: every character in one of the ranges.
fn in_ranges(ranges: &[RangeInclusive<char>], value: &str) -> bool {
    value
        .chars()
        .all(|c| ranges.iter().any(|range| range.contains(&c)))
}

const PROJECT_RANGES: &[RangeInclusive<char>] = &['A'..='Z', 'a'..='z', '0'..='9'];
const CLUSTER_RANGES: &[RangeInclusive<char>] =
    &['A'..='Z', 'a'..='z', '0'..='9', '_'..='_', '-'..='-'];

fn patterns(c: &mut Criterion) {
    let cases: [(&str, &PathParam, &[RangeInclusive<char>], String); 4] = [
        (
            "project_id 32",
            &PROJECT_ID,
            PROJECT_RANGES,
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9".to_owned(),
        ),
        ("project_id 64", &PROJECT_ID, PROJECT_RANGES, "a".repeat(64)),
        (
            "cluster_id 36",
            &CLUSTER_ID,
            CLUSTER_RANGES,
            "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a".to_owned(),
        ),
        (
            "cluster_id 64",
            &CLUSTER_ID,
            CLUSTER_RANGES,
            "c-".repeat(32),
        ),
    ];
    let mut group = c.benchmark_group("pattern");
    for (name, rule, ranges, value) in &cases {
        assert!(rule.pattern.matches(value) && in_ranges(ranges, value));
        group.bench_function(format!("{name}/dfa"), |b| {
            b.iter(|| black_box(rule.pattern).matches(black_box(value)))
        });
        group.bench_function(format!("{name}/ranges"), |b| {
            b.iter(|| in_ranges(black_box(ranges), black_box(value)))
        });
    }
    group.finish();
}

criterion_group!(benches, patterns);
criterion_main!(benches);
