//! A stable-Rust stand-in for libFuzzer: runs one target on every file of
//! its corpus folders, then on random mutations of them for a while.
//!
//! ```sh
//! cargo run --release --no-default-features --bin replay -- <target> [seconds] [corpus-dir...]
//! ```
//!
//! Without coverage feedback it finds much less than `cargo fuzz run`; use
//! it to replay a corpus (and crash files) in a regression run, or where no
//! sanitizer build is possible. A panic is reported with the input saved to
//! `artifacts/<target>/crash-<hash>`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn target(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "error_body" => mrs_iam_sync_fuzz::error_body,
        "response_decoding" => mrs_iam_sync_fuzz::response_decoding,
        "signing_canonicalisation" => mrs_iam_sync_fuzz::signing_canonicalisation,
        "spec_loading" => mrs_iam_sync_fuzz::spec_loading,
        _ => return None,
    })
}

/// xorshift64*: enough randomness for mutations, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\n",
    b"  ",
    b"- ",
    b"$ref",
    b"'#/components/schemas/A'",
    b"%",
    b"%2F",
    b"/",
    b"..",
    b"?",
    b"&",
    b"=",
    b"error_code",
    b"error_msg",
    b"code",
    b"message",
    b"\xff",
    b"\xe4\xbd\xa0",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        match rng.below(7) {
            0 if !input.is_empty() => {
                let at = rng.below(input.len());
                input[at] ^= 1 << rng.below(8);
            }
            1 if !input.is_empty() => {
                let at = rng.below(input.len());
                input[at] = rng.next() as u8;
            }
            2 => {
                let at = rng.below(input.len() + 1);
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                input.splice(at..at, piece.iter().copied());
            }
            3 if !input.is_empty() => {
                let from = rng.below(input.len());
                let to = (from + rng.below(16) + 1).min(input.len());
                input.drain(from..to);
            }
            4 if !input.is_empty() => {
                let from = rng.below(input.len());
                let to = (from + rng.below(32) + 1).min(input.len());
                let copy = input[from..to].to_vec();
                let at = rng.below(input.len() + 1);
                input.splice(at..at, copy);
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(input.len() + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            _ => input.truncate(rng.below(input.len() + 1)),
        }
    }
    input.truncate(64 * 1024);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprintln!("usage: replay <target> [seconds] [corpus-dir...]");
        std::process::exit(2);
    };
    let Some(run) = target(name) else {
        eprintln!("unknown target {name}");
        std::process::exit(2);
    };
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut dirs: Vec<PathBuf> = args.iter().skip(2).map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from("corpus").join(name));
    }
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                corpus.push(bytes);
            }
        }
    }
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }

    // Quiet panics: each is reported once below, with its input saved.
    std::panic::set_hook(Box::new(|_| {}));
    let mut crashes = 0usize;
    let check = |input: &[u8], crashes: &mut usize| {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(input))) {
            let reason = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let mut hasher = DefaultHasher::new();
            input.hash(&mut hasher);
            let dir = PathBuf::from("artifacts").join(name);
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("crash-{:016x}", hasher.finish()));
            let _ = std::fs::write(&path, input);
            eprintln!("CRASH ({}): {reason}", path.display());
            *crashes += 1;
        }
    };

    let started = Instant::now();
    for input in &corpus {
        check(input, &mut crashes);
    }
    let mut executions = corpus.len() as u64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id()));
    let deadline = Duration::from_secs(seconds);
    while started.elapsed() < deadline && crashes < 20 {
        let mut input = corpus[rng.below(corpus.len())].clone();
        mutate(&mut rng, &mut input, &corpus);
        check(&input, &mut crashes);
        executions += 1;
    }
    println!(
        "{name}: {executions} executions in {:.0} s, {} corpus inputs, {crashes} crashes",
        started.elapsed().as_secs_f64(),
        corpus.len()
    );
    if crashes > 0 {
        std::process::exit(1);
    }
}
