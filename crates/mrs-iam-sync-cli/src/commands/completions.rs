//! `completions SHELL`: a completion script for bash, zsh, fish, PowerShell
//! or Elvish, generated from the command line's own definition (so it never
//! falls behind a new flag).

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::args::Cli;
use crate::exit::Failure;

/// The name the scripts complete: the binary's.
pub const BIN: &str = "mrs-iam-sync";

/// Prints the script for `shell` on stdout.
pub fn run(shell: Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    if shell == Shell::Bash {
        script = fix_bash_states(&script);
    }
    crate::progress::write_stdout(&script);
    Ok(())
}

/// clap_complete's bash script (4.6) names a subcommand's state
/// `mrs__iam__sync__subcmd__status` where it walks the words, but
/// `mrs__subcmd__iam__subcmd__sync__subcmd__status` where it completes
/// them, for a binary whose name has a hyphen: past the subcommand nothing
/// completes (clap-rs/clap#6421). The walk's spelling is given to both; a
/// script without the mismatch is left as it is.
fn fix_bash_states(script: &[u8]) -> Vec<u8> {
    let walked = BIN.replace('-', "__");
    let completed = BIN.replace('-', "__subcmd__");
    String::from_utf8_lossy(script)
        .replace(
            &format!("        {completed}__subcmd__"),
            &format!("        {walked}__subcmd__"),
        )
        .into_bytes()
}
