//! The official SDK's regions file: `HUAWEICLOUD_SDK_REGIONS_FILE`, else
//! `~/.huaweicloud/regions.yaml`, read once per process.
//!
//! ```yaml
//! mrs:                      # a service name, in any case (mrs, MRS)
//!   - id: cn-north-4
//!     endpoints:            # tried in this order...
//!       - https://mrs.vpcep-1.example.com
//!       - https://mrs.vpcep-2.example.com
//!     endpoint: https://mrs.cn-north-4.myhuaweicloud.com   # ...then this one
//! ```
//!
//! As in the official SDK (`ProfileRegionCache`), an entry without an id or without any
//! endpoint is skipped, other keys are ignored, and a later entry for the same service and
//! id replaces an earlier one. Unlike it, a file that is not YAML of this shape is an error
//! naming the file and the line (the official SDK lets the client fall back to the
//! built-in table, so a typo sends requests to another endpoint than the one written
//! down), and so is a file that `HUAWEICLOUD_SDK_REGIONS_FILE` names but that does not
//! exist. A missing `~/.huaweicloud/regions.yaml` is fine.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use saphyr_parser::{Event, Parser, ScanError, Span};

use crate::env::Environment;

/// Names the regions file (the official SDK's variable).
pub const ENV_REGIONS_FILE: &str = "HUAWEICLOUD_SDK_REGIONS_FILE";

/// An endpoint as written in the regions file, with its line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEndpoint {
    /// The endpoint as written.
    pub endpoint: String,
    /// Where.
    pub line: usize,
}

/// A parsed regions file: for each service (upper-cased) and region id (lower-cased), the
/// endpoints in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RegionsFile {
    path: PathBuf,
    regions: BTreeMap<(String, String), Vec<FileEndpoint>>,
}

impl RegionsFile {
    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The endpoints of `service` (any case) in `region` (ASCII case-insensitive,
    /// surrounding white space ignored), in the order they are to be tried.
    pub fn endpoints(&self, service: &str, region: &str) -> Option<&[FileEndpoint]> {
        let key = (
            service.trim().to_ascii_uppercase(),
            region.trim().to_ascii_lowercase(),
        );
        self.regions.get(&key).map(Vec::as_slice)
    }

    /// Parses the text of a regions file; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, RegionsFileError> {
        let error = |line: usize, reason: String| RegionsFileError {
            path: path.to_owned(),
            line: Some(line),
            reason,
        };
        let root = Tree::read(text).map_err(|(line, reason)| error(line, reason))?;
        let mut file = RegionsFile {
            path: path.to_owned(),
            regions: BTreeMap::new(),
        };
        let Some(root) = root else {
            return Ok(file);
        };
        let Node::Map(services) = &root.node else {
            return Err(error(
                root.line,
                "the file must be a mapping from service names (such as `mrs`) to lists of regions"
                    .into(),
            ));
        };
        for (service, regions) in services {
            let service_name = service.scalar().ok_or_else(|| {
                error(service.line, "a service name must be a plain string".into())
            })?;
            let entries = match &regions.node {
                Node::Seq(entries) => entries.as_slice(),
                Node::Scalar(None) => &[],
                _ => {
                    return Err(error(
                        regions.line,
                        format!(
                            "`{}` must be a list of regions (`- id: ...`)",
                            service_name.chars().take(64).collect::<String>()
                        ),
                    ));
                }
            };
            for entry in entries {
                let Node::Map(fields) = &entry.node else {
                    return Err(error(
                        entry.line,
                        "a region must be a mapping with `id` and `endpoint` or `endpoints`".into(),
                    ));
                };
                let field = |name: &str| {
                    fields
                        .iter()
                        .rev()
                        .find(|(key, _)| key.scalar() == Some(name))
                        .map(|(_, value)| value)
                };
                let id = match field("id") {
                    Some(value) => value.string("id", &error)?,
                    None => None,
                };
                let mut endpoints = Vec::new();
                if let Some(list) = field("endpoints") {
                    match &list.node {
                        Node::Seq(items) => {
                            for item in items {
                                let endpoint = item.string("an endpoint", &error)?;
                                endpoints.push(FileEndpoint {
                                    endpoint: endpoint.unwrap_or_default(),
                                    line: item.line,
                                });
                            }
                        }
                        Node::Scalar(None) => {}
                        _ => {
                            return Err(error(
                                list.line,
                                "`endpoints` must be a list of URLs".into(),
                            ));
                        }
                    }
                }
                if let Some(value) = field("endpoint")
                    && let Some(endpoint) = value.string("endpoint", &error)?
                {
                    endpoints.push(FileEndpoint {
                        endpoint,
                        line: value.line,
                    });
                }
                if let Some(id) = id
                    && !endpoints.is_empty()
                {
                    let key = (
                        service_name.trim().to_ascii_uppercase(),
                        id.trim().to_ascii_lowercase(),
                    );
                    file.regions.insert(key, endpoints);
                }
            }
        }
        Ok(file)
    }
}

/// Why the regions file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionsFileError {
    /// The file.
    pub path: PathBuf,
    /// The line (1-based) when the problem is at one.
    pub line: Option<usize>,
    /// What is wrong (never a value from the file).
    pub reason: String,
}

impl fmt::Display for RegionsFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "the regions file {}, line {line}: {}",
                self.path.display(),
                self.reason
            ),
            None => write!(
                f,
                "the regions file {} {}",
                self.path.display(),
                self.reason
            ),
        }
    }
}

impl std::error::Error for RegionsFileError {}

/// Where the regions file is: `HUAWEICLOUD_SDK_REGIONS_FILE` (and whether it was named
/// there), else `~/.huaweicloud/regions.yaml`; `None` without either.
fn location(env: &Environment) -> Option<(PathBuf, bool)> {
    if let Some(named) = env.var(ENV_REGIONS_FILE).filter(|v| !v.trim().is_empty()) {
        return Some((PathBuf::from(named), true));
    }
    let home = env.home_dir()?;
    Some((home.join(".huaweicloud").join("regions.yaml"), false))
}

type Loaded = Result<Option<Arc<RegionsFile>>, RegionsFileError>;

/// The regions file of `env`, read at the first call for its path and kept for the life of
/// the process; `Ok(None)` when there is none.
pub fn load(env: &Environment) -> Loaded {
    static READ: Mutex<BTreeMap<PathBuf, Loaded>> = Mutex::new(BTreeMap::new());
    let Some((path, named)) = location(env) else {
        return Ok(None);
    };
    let mut read = READ.lock().unwrap_or_else(|e| e.into_inner());
    read.entry(path)
        .or_insert_with_key(|path| read_file(path, named))
        .clone()
}

fn read_file(path: &Path, named: bool) -> Loaded {
    let unusable = |reason: String| RegionsFileError {
        path: path.to_owned(),
        line: None,
        reason,
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| unusable("is not UTF-8 text".into()))?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(unusable(format!(
                "does not exist ({ENV_REGIONS_FILE} names it)"
            )));
        }
        Err(err) => return Err(unusable(format!("cannot be read: {err}"))),
    };
    RegionsFile::parse(path, &text).map(|file| Some(Arc::new(file)))
}

// ---------------------------------------------------------------------------------------
// The YAML document as a tree of nodes that know their line.

#[derive(Clone, Debug)]
struct Located {
    node: Node,
    line: usize,
}

#[derive(Clone, Debug)]
enum Node {
    /// A scalar; `None` for YAML's null (`~`, `null` or nothing).
    Scalar(Option<String>),
    Seq(Vec<Located>),
    Map(Vec<(Located, Located)>),
}

type ParseError = (usize, String);

impl Located {
    fn scalar(&self) -> Option<&str> {
        match &self.node {
            Node::Scalar(Some(text)) => Some(text),
            _ => None,
        }
    }

    /// A string field: `None` when null or empty (the official SDK skips those).
    fn string(
        &self,
        what: &str,
        error: &impl Fn(usize, String) -> RegionsFileError,
    ) -> Result<Option<String>, RegionsFileError> {
        match &self.node {
            Node::Scalar(text) => Ok(text.clone().filter(|t| !t.trim().is_empty())),
            _ => Err(error(self.line, format!("{what} must be a string"))),
        }
    }
}

struct Tree<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: BTreeMap<usize, Located>,
}

impl<'a> Tree<'a> {
    /// The document's root, `None` for an empty file; errors carry the line.
    fn read(text: &'a str) -> Result<Option<Located>, ParseError> {
        let mut tree = Tree {
            parser: Parser::new_from_str(text),
            anchors: BTreeMap::new(),
        };
        let mut root = None;
        loop {
            let (event, span) = tree.next()?;
            match event {
                Event::StreamEnd => return Ok(root),
                Event::DocumentStart(_) if root.is_some() => {
                    return Err((line(&span), "the file must hold one YAML document".into()));
                }
                Event::DocumentStart(_) => {
                    let (event, span) = tree.next()?;
                    root = Some(tree.node(event, span)?);
                }
                _ => {}
            }
        }
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        match self.parser.next_event() {
            Some(Ok(next)) => Ok(next),
            Some(Err(err)) => Err(scan_error(&err)),
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Located, ParseError> {
        let line = line(&span);
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => {
                let plain = style == saphyr_parser::ScalarStyle::Plain;
                let null = plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL");
                (Node::Scalar((!null).then(|| text.into_owned())), anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                (Node::Seq(items), anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut pairs = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(event, span)?;
                    let (event, span) = self.next()?;
                    pairs.push((key, self.node(event, span)?));
                }
                (Node::Map(pairs), anchor)
            }
            Event::Alias(anchor) => {
                return self
                    .anchors
                    .get(&anchor)
                    .cloned()
                    .ok_or_else(|| (line, "an alias refers to no anchor".into()));
            }
            _ => return Err((line, "unexpected YAML structure".into())),
        };
        let located = Located { node, line };
        if anchor > 0 {
            self.anchors.insert(anchor, located.clone());
        }
        Ok(located)
    }
}

fn line(span: &Span) -> usize {
    span.start.line().max(1)
}

fn scan_error(err: &ScanError) -> ParseError {
    (
        err.marker().line().max(1),
        format!("not valid YAML: {}", err.info()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RegionsFile, RegionsFileError> {
        RegionsFile::parse(Path::new("/etc/regions.yaml"), text)
    }

    fn endpoints<'a>(file: &'a RegionsFile, service: &str, id: &str) -> Vec<&'a str> {
        file.endpoints(service, id)
            .unwrap_or_default()
            .iter()
            .map(|e| e.endpoint.as_str())
            .collect()
    }

    #[test]
    fn the_official_schema() {
        let file = parse(
            "# comment\n\
             MRS:\n\
             \x20 - id: cn-north-4\n\
             \x20   endpoint: https://c\n\
             \x20   endpoints: [https://a, \"https://b\"]\n\
             \x20 - id: no-endpoint\n\
             \x20 - endpoint: https://no-id\n\
             \x20 - id: ''\n\
             \x20   endpoint: https://empty-id\n\
             \x20 - id: cn-east-3\n\
             \x20   endpoint: https://first\n\
             \x20   extra: ignored\n\
             ecs:\n\
             \x20 - id: cn-north-4\n\
             \x20   endpoint: https://ecs\n\
             mrs:\n\
             \x20 - id: cn-east-3\n\
             \x20   endpoint: https://later\n\
             iam: ~\n",
        )
        .unwrap();
        assert_eq!(
            endpoints(&file, "mrs", "CN-North-4"),
            ["https://a", "https://b", "https://c"]
        );
        let lines: Vec<usize> = file
            .endpoints("MRS", "cn-north-4")
            .unwrap()
            .iter()
            .map(|e| e.line)
            .collect();
        assert_eq!(lines, [5, 5, 4]);
        assert_eq!(endpoints(&file, "mrs", "cn-east-3"), ["https://later"]);
        assert_eq!(endpoints(&file, "ECS", "cn-north-4"), ["https://ecs"]);
        assert!(file.endpoints("mrs", "no-endpoint").is_none());
        assert!(file.endpoints("mrs", "").is_none());
        assert_eq!(file.regions.len(), 3);
    }

    #[test]
    fn anchors_and_empty_files() {
        let file =
            parse("x: &list\n  - id: r\n    endpoint: https://shared\nmrs: *list\n").unwrap();
        assert_eq!(endpoints(&file, "mrs", "r"), ["https://shared"]);
        assert_eq!(
            parse("").unwrap(),
            RegionsFile {
                path: "/etc/regions.yaml".into(),
                ..Default::default()
            }
        );
        assert_eq!(parse("# nothing\n").unwrap().regions.len(), 0);
    }

    #[test]
    fn broken_files_name_the_line() {
        for (text, line, reason) in [
            ("mrs:\n  - id: a\n    endpoint: [x\n", 4, "not valid YAML"),
            ("mrs:\n  - id: a\n  endpoint: x\n", 3, "not valid YAML"),
            ("- mrs\n", 1, "must be a mapping from service names"),
            ("mrs:\n  id: a\n", 2, "`mrs` must be a list of regions"),
            ("mrs:\n  - just-a-string\n", 2, "a region must be a mapping"),
            (
                "mrs:\n  - id: a\n    endpoints: https://x\n",
                3,
                "`endpoints` must be a list",
            ),
            (
                "mrs:\n  - id: [a]\n    endpoint: https://x\n",
                2,
                "id must be a string",
            ),
            (
                "mrs:\n  - id: a\n    endpoint: {x: 1}\n",
                3,
                "endpoint must be a string",
            ),
            ("mrs: []\n---\nmrs: []\n", 2, "one YAML document"),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
            assert!(err.reason.contains(reason), "{text:?}: {err}");
            assert!(
                err.to_string().starts_with(&format!(
                    "the regions file /etc/regions.yaml, line {line}: "
                )),
                "{err}"
            );
        }
    }
}
