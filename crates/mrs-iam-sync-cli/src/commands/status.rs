//! `status`: is an IAM sync running? For one cluster or many, concurrently,
//! printed in the order given.

use std::borrow::Cow;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt as _};
use mrs_iam_sync::{Error, OneLine};
use serde::Serialize;

use tokio::time::Instant;

use super::Ctx;
use crate::args::{GlobalArgs, StatusArgs};
use crate::exit::{self, Failure};
use crate::interrupt::DRAIN;
use crate::output::{self, ErrorJson, Lines};
use crate::progress::Fanout;

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
///
/// The first Ctrl-C starts no new cluster and gives the calls in flight
/// [`DRAIN`] to finish; every answered cluster is then printed (in the
/// order given, skipping the unanswered), `interrupted: N of M clusters
/// answered` goes to stderr, the unanswered ids to `--remaining`, and the
/// exit code is 130.
pub async fn run(
    ctx: &Ctx,
    ids: &[String],
    concurrency: usize,
    remaining: Remaining,
) -> Result<(), Failure> {
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
    let mut progress = Fanout::start(ctx.progress, ids.len(), &ctx.client);
    let mut pending: Vec<Option<Result<bool, Error>>> = ids.iter().map(|_| None).collect();
    let mut printed = Printed::default();
    let mut drain_until = None;
    {
        // Ctrl-C ends the feed: no new cluster starts, those started go on.
        let answers = stream::iter(ids.iter().enumerate())
            .take_until(ctx.interrupt.first())
            .map(|(index, id)| async move { (index, ctx.client.is_synchronizing(id).await) })
            .buffer_unordered(concurrency.max(1));
        let mut answers = std::pin::pin!(answers);
        // One future for the whole loop: made anew at each answer, it would
        // register with the channel and leave it again every time.
        let interrupted = ctx.interrupt.first();
        let mut interrupted = std::pin::pin!(interrupted);
        loop {
            let (index, answer) = tokio::select! {
                answer = answers.next() => match answer {
                    Some(answer) => answer,
                    None => break,
                },
                () = progress.next_frame() => {
                    progress.show();
                    continue;
                }
                () = &mut interrupted, if drain_until.is_none() => {
                    drain_until = Some(Instant::now() + DRAIN);
                    continue;
                }
                () = sleep_until_some(drain_until) => break,
            };
            progress.answered(answer.is_err());
            pending[index] = Some(answer);
            while let Some(answer) = pending.get_mut(printed.next).and_then(Option::take) {
                printed.row(&mut lines, ctx.json, &ids[printed.next], &answer, width);
                printed.next += 1;
            }
        }
    } // Calls still in flight after the drain are dropped here (cancelled).
    progress.finish();
    if !ctx.interrupt.happened() {
        remaining.write(&[])?;
        return printed.outcome(ids.len());
    }
    // Answers that came before an unanswered cluster's, in order.
    let mut unanswered = Vec::new();
    for (index, answer) in pending.iter_mut().enumerate().skip(printed.next) {
        match answer.take() {
            Some(answer) => printed.row(&mut lines, ctx.json, &ids[index], &answer, width),
            None => unanswered.push(ids[index].as_str()),
        }
    }
    let mut summary = format!(
        "interrupted: {} of {} clusters answered",
        ids.len() - unanswered.len(),
        ids.len()
    );
    if printed.failed > 0 {
        summary.push_str(&format!(" ({} failed)", printed.failed));
    }
    if let Some(path) = remaining.write(&unanswered)?
        && !unanswered.is_empty()
    {
        summary.push_str(&format!(
            "; the other {} are in {} (for --clusters-file)",
            unanswered.len(),
            path.display()
        ));
    }
    Err(Failure::Interrupted(summary))
}

/// Resolves at `deadline`; never without one.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The rows printed so far, and what their errors add up to.
#[derive(Default)]
struct Printed {
    /// The index of the next cluster to print in order.
    next: usize,
    failed: usize,
    code: u8,
    first_error: Option<String>,
}

impl Printed {
    fn row(
        &mut self,
        lines: &mut Lines,
        json: bool,
        id: &str,
        answer: &Result<bool, Error>,
        width: usize,
    ) {
        if let Err(err) = answer {
            self.failed += 1;
            self.code = self.code.max(exit::for_error(err));
            self.first_error
                .get_or_insert_with(|| output::error_line(err));
        }
        print_row(lines, json, id, answer, width);
    }

    /// Success, or the summary of the failures of a run over `total`.
    fn outcome(self, total: usize) -> Result<(), Failure> {
        let Some(first) = self.first_error else {
            return Ok(());
        };
        let message = if total == 1 {
            first
        } else {
            format!(
                "{} of {total} clusters failed; the first: {first}",
                self.failed
            )
        };
        Err(Failure::Partial {
            code: self.code,
            message,
        })
    }
}

/// `--remaining FILE`: created (empty, under a temporary name) before
/// anything is sent, so that a path that cannot be written fails first;
/// renamed into place, whole, at the end.
pub struct Remaining(Option<(tempfile::NamedTempFile, PathBuf)>);

impl Remaining {
    /// No `--remaining`.
    pub fn none() -> Remaining {
        Remaining(None)
    }

    /// Prepares `path`'s file, if given.
    pub fn prepare(path: Option<&Path>) -> Result<Remaining, Failure> {
        let Some(path) = path else {
            return Ok(Remaining::none());
        };
        let cannot = |err: std::io::Error| {
            Failure::Usage(format!(
                "cannot write --remaining {}: {err}",
                path.display()
            ))
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if path.is_dir() {
            return Err(cannot(std::io::Error::other("it is a directory")));
        }
        let file = tempfile::Builder::new()
            .prefix(".mrs-iam-sync-remaining")
            .tempfile_in(dir)
            .map_err(cannot)?;
        Ok(Remaining(Some((file, path.to_owned()))))
    }

    /// Writes `ids`, one per line, and renames the file into place; the
    /// path, when there is one.
    fn write(self, ids: &[&str]) -> Result<Option<PathBuf>, Failure> {
        let Some((mut file, path)) = self.0 else {
            return Ok(None);
        };
        let cannot = |err: std::io::Error| {
            Failure::Usage(format!(
                "cannot write --remaining {}: {err}",
                path.display()
            ))
        };
        let mut text = String::new();
        for id in ids {
            text.push_str(id);
            text.push('\n');
        }
        file.write_all(text.as_bytes()).map_err(cannot)?;
        file.as_file().sync_all().map_err(cannot)?;
        file.persist(&path).map_err(|err| cannot(err.error))?;
        Ok(Some(path))
    }
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
    let id = OneLine::new(id).to_string();
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
