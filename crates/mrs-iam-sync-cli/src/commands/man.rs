//! `man`: the manual page, in roff, from the command line's own definition
//! (clap_mangen), with the sections clap does not know: exit status,
//! environment and files.

use std::path::Path;

use clap::CommandFactory as _;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::args::{Cli, ManArgs};
use crate::exit::{self, Failure};

/// Prints `mrs-iam-sync(1)`, or with `--dir` writes it and one page per
/// command (`mrs-iam-sync-status(1)`, ...) into the directory.
pub fn run(args: &ManArgs) -> Result<(), Failure> {
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        main_page(&mut page).map_err(|err| Failure::Usage(format!("cannot render: {err}")))?;
        crate::progress::write_stdout(&page);
        return Ok(());
    };
    write_pages(dir).map_err(|err| {
        Failure::Usage(format!(
            "cannot write the man pages into {}: {err}",
            dir.display()
        ))
    })
}

/// The main page: clap_mangen's sections, then exit status, environment
/// and files instead of the `--help` text's exit-code table.
fn main_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let command = Cli::command().after_help(None::<&str>);
    let man = Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    extra_sections().to_writer(out)?;
    man.render_version_section(out)
}

/// EXIT STATUS, ENVIRONMENT, FILES.
fn extra_sections() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit::TABLE {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["FILES"]);
    roff.control("TP", []);
    roff.text([bold("~/.huaweicloud/credentials")]);
    roff.text([roman(
        "The profile file of the official SDKs ([basic] section); \
         HUAWEICLOUD_SDK_CREDENTIALS_FILE names another.",
    )]);
    roff
}

/// The variables the command reads, as the page lists them.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "HUAWEICLOUD_SDK_REGION",
        "The region, unless --region is given.",
    ),
    (
        "HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK",
        "An access key and its secret key (the secret key is never taken from the command line).",
    ),
    (
        "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "The security token of temporary keys.",
    ),
    (
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "The project id, unless --project-id is given; else it is looked up at IAM.",
    ),
    (
        "HUAWEICLOUD_SDK_AUTH_TOKEN",
        "An IAM token to use instead of keys, unless --token is given.",
    ),
    (
        "MRS_IAM_SYNC_LOG",
        "The request log's filter in tracing's syntax (e.g. mrs_iam_sync::request=debug); \
         replaces -v's.",
    ),
];

/// `mrs-iam-sync.1` and a page per visible command.
fn write_pages(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut main = Vec::new();
    main_page(&mut main)?;
    std::fs::write(dir.join("mrs-iam-sync.1"), main)?;
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        Man::new(sub.clone().after_help(None::<&str>)).generate_to(dir)?;
    }
    Ok(())
}
