//! Shell completions and the man page, checked with the tools that use
//! them: bash loads the script and completes with it; man renders the page.

mod common;

use std::process::Command;

use common::{Cli, scratch_file};

#[test]
fn bash_loads_the_completion_script_and_completes_subcommands_and_flags() {
    let run = Cli::new()
        .args(["completions", "bash"])
        .run()
        .expect_code(0);
    let script = scratch_file("completion.bash", &run.stdout);
    let bash = |commands: &str| {
        let output = Command::new("bash")
            .arg("--noprofile")
            .arg("--norc")
            .arg("-c")
            .arg(format!("source {} && {commands}", script.display()))
            .output()
            .expect("bash runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let registered = bash("complete -p mrs-iam-sync");
    assert!(registered.contains("mrs-iam-sync"), "{registered}");
    let function = registered
        .split_whitespace()
        .skip_while(|word| *word != "-F")
        .nth(1)
        .expect("a completion function");

    let complete = |words: &str| {
        bash(&format!(
            "COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE=\"{words}\"; COMP_POINT=${{#COMP_LINE}}; \
             {function} mrs-iam-sync \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ))
    };
    let subcommands = complete("mrs-iam-sync st");
    assert!(
        subcommands.lines().any(|word| word == "status"),
        "{subcommands}"
    );
    let flags = complete("mrs-iam-sync status --clus");
    assert!(
        flags.lines().any(|word| word == "--clusters-file"),
        "{flags}"
    );
    let progress = complete("mrs-iam-sync status --progress ''");
    for value in ["auto", "lines", "none"] {
        assert!(progress.lines().any(|word| word == value), "{progress}");
    }
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let run = Cli::new().args(["completions", shell]).run().expect_code(0);
        for word in ["status", "clusters-file", "remaining", "completions"] {
            assert!(run.stdout.contains(word), "{shell}: no {word}");
        }
    }
    let run = Cli::new()
        .args(["completions", "tcsh"])
        .run()
        .expect_code(2);
    assert!(run.stderr.contains("invalid value 'tcsh'"), "{run:#?}");
}

/// The page as `man` shows it.
fn render(page: &std::path::Path) -> String {
    let output = Command::new("man")
        .args(["--local-file", "--no-hyphenation", "--no-justification"])
        .arg(page)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .expect("man runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn man_renders_the_page_with_its_sections() {
    let run = Cli::new().arg("man").run().expect_code(0);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq")
            || run.stdout.contains(".TH mrs-iam-sync 1")
    );
    let page = scratch_file("mrs-iam-sync.1", &run.stdout);
    let text = render(&page);
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "GLOBAL OPTIONS",
        "SUBCOMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "VERSION",
    ] {
        assert!(
            text.lines().any(|line| line == section),
            "no section {section}:\n{text}"
        );
    }
    for expected in [
        "mrs-iam-sync - Inspect and drive IAM user synchronization",
        "mrs-iam-sync-status(1)",
        "--progress",
        "130",
        "MRS_IAM_SYNC_LOG",
    ] {
        assert!(text.contains(expected), "no {expected:?}:\n{text}");
    }
}

#[test]
fn man_writes_a_page_per_command_into_a_directory() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("man-{}", std::process::id()));
    Cli::new()
        .args(["man", "--dir"])
        .arg(&dir)
        .run()
        .expect_code(0);
    for page in [
        "mrs-iam-sync.1",
        "mrs-iam-sync-status.1",
        "mrs-iam-sync-completions.1",
    ] {
        let text = render(&dir.join(page));
        assert!(text.contains("SYNOPSIS"), "{page}:\n{text}");
    }
    let status = render(&dir.join("mrs-iam-sync-status.1"));
    assert!(status.contains("--remaining"), "{status}");
}
