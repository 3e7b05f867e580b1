//! `status`: is an IAM sync running? For one cluster or many, concurrently,
//! printed in the order given.

use std::borrow::Cow;
use std::io::Read as _;

use futures::stream::{self, StreamExt as _};
use mrs_iam_sync::{Error, OneLine};
use serde::Serialize;

use super::Ctx;
use crate::args::{GlobalArgs, StatusArgs};
use crate::exit::{self, Failure};
use crate::output::{self, ErrorJson, Lines};

/// One cluster's answer, as a JSON line.
#[derive(Debug, Serialize)]
struct StatusJson<'a> {
    cluster_id: &'a str,
    is_synchronizing: Option<bool>,
    error: Option<ErrorJson>,
}

/// The cluster ids of `--cluster-id` (in order) and then of
/// `--clusters-file`.
pub fn cluster_ids(global: &GlobalArgs, args: &StatusArgs) -> Result<Vec<String>, Failure> {
    let mut ids = global.cluster_ids.clone();
    if let Some(path) = &args.clusters_file {
        let mut text = String::new();
        let read = if path.as_os_str() == "-" {
            std::io::stdin().read_to_string(&mut text).map(drop)
        } else {
            std::fs::read_to_string(path).map(|content| text = content)
        };
        read.map_err(|err| {
            Failure::Usage(format!(
                "cannot read --clusters-file {}: {err}",
                path.display()
            ))
        })?;
        ids.extend(parse_cluster_list(&text));
    }
    if ids.is_empty() {
        return Err(Failure::Usage(
            "no cluster: pass --cluster-id (repeatable) or --clusters-file".into(),
        ));
    }
    Ok(ids)
}

/// One id per line; blank lines and `#` comments (whole-line or trailing)
/// are skipped.
fn parse_cluster_list(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// Asks every cluster, at most `concurrency` at once, and prints each answer
/// as soon as those before it are printed. Invalid ids fail without a
/// request. The exit code is the highest of the clusters': 2 if an id was
/// invalid, else 1 if a call failed.
pub async fn run(ctx: &Ctx, ids: &[String], concurrency: usize) -> Result<(), Failure> {
    let width = ids
        .iter()
        .map(|id| shown_id(id).chars().count())
        .max()
        .unwrap_or(0)
        .max("CLUSTER ID".len());
    let mut lines = Lines::default();
    if !ctx.json {
        lines.text(format_args!("{:<width$}  SYNCHRONIZING", "CLUSTER ID"));
    }
    let mut answers = stream::iter(ids.iter().enumerate())
        .map(|(index, id)| async move { (index, ctx.client.is_synchronizing(id).await) })
        .buffer_unordered(concurrency.max(1));
    let mut pending: Vec<Option<Result<bool, Error>>> = ids.iter().map(|_| None).collect();
    let mut next = 0;
    let (mut failed, mut code, mut first_error) = (0usize, exit::OK, None);
    while let Some((index, answer)) = answers.next().await {
        pending[index] = Some(answer);
        while let Some(answer) = pending.get_mut(next).and_then(Option::take) {
            let id = &ids[next];
            if let Err(err) = &answer {
                failed += 1;
                code = code.max(exit::for_error(err));
                first_error.get_or_insert_with(|| output::error_line(err));
            }
            print_row(&mut lines, ctx.json, id, &answer, width);
            next += 1;
        }
    }
    let Some(first) = first_error else {
        return Ok(());
    };
    let message = if ids.len() == 1 {
        first
    } else {
        format!(
            "{failed} of {} clusters failed; the first: {first}",
            ids.len()
        )
    };
    Err(Failure::Partial { code, message })
}

fn print_row(lines: &mut Lines, json: bool, id: &str, answer: &Result<bool, Error>, width: usize) {
    if json {
        lines.json(&StatusJson {
            cluster_id: id,
            is_synchronizing: answer.as_ref().ok().copied(),
            error: answer.as_ref().err().map(ErrorJson::from),
        });
        return;
    }
    let id = shown_id(id);
    match answer {
        Ok(running) => lines.text(format_args!("{id:<width$}  {}", output::yes_no(*running))),
        Err(err) => lines.text(format_args!(
            "{id:<width$}  error: {}",
            output::error_line(err)
        )),
    }
}

/// The id as the table shows it: on one line, and no longer than a valid id
/// can be (the JSON output keeps it whole).
fn shown_id(id: &str) -> Cow<'_, str> {
    const LONGEST: usize = 64;
    let plain = |c: char| !c.is_whitespace() && !c.is_control();
    if id.len() <= LONGEST && !id.is_empty() && id.chars().all(plain) {
        return Cow::Borrowed(id);
    }
    let id = OneLine(id).to_string();
    if id.chars().count() <= LONGEST {
        return Cow::Owned(id);
    }
    let mut shown: String = id.chars().take(LONGEST - 1).collect();
    shown.push('…');
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_lists_skip_blanks_and_comments() {
        let text = "# clusters\n\ncid-1\n  cid-2  # the second\r\n#cid-3\n\t\n";
        assert_eq!(
            parse_cluster_list(text).collect::<Vec<_>>(),
            ["cid-1", "cid-2"]
        );
    }

    #[test]
    fn long_ids_are_cut_in_the_table() {
        assert_eq!(shown_id("cid-1"), "cid-1");
        assert_eq!(shown_id("a\nb\x1b[1m"), "a b [1m");
        let long = "x".repeat(300);
        let long = shown_id(&long);
        assert_eq!(long.chars().count(), 64);
        assert!(long.ends_with('…'));
    }
}
