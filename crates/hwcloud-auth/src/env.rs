//! The environment the credential providers and endpoint resolution read: the process's,
//! or a fixed set of variables for tests.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::secret::Secret;

/// The process environment, or a fixed set of variables for tests.
///
/// Edition 2024 makes `std::env::set_var` unsafe; tests build an `Environment` with
/// [`Environment::from_vars`] instead of changing the real one. The home directory comes
/// from `HOME` (or `USERPROFILE`) of the same variables. `Debug` lists variable names only.
#[derive(Clone)]
pub struct Environment {
    vars: Option<BTreeMap<String, Secret>>,
}

impl Environment {
    /// The real process environment (read at each lookup).
    pub fn process() -> Self {
        Environment { vars: None }
    }

    /// A fixed set of variables; nothing else is visible (not even the real `HOME`).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        Environment {
            vars: Some(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), Secret::new(v)))
                    .collect(),
            ),
        }
    }

    /// The variable's value (`None` when unset, not Unicode, or `name` is not a valid
    /// variable name).
    pub fn var(&self, name: &str) -> Option<String> {
        if name.is_empty() || name.contains(['=', '\0']) {
            return None;
        }
        match &self.vars {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).map(|v| v.expose().to_owned()),
        }
    }

    /// The home directory: `HOME`, or else `USERPROFILE` (Windows); `None` when neither is set.
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.var("HOME")
            .filter(|v| !v.is_empty())
            .or_else(|| self.var("USERPROFILE").filter(|v| !v.is_empty()))
            .map(PathBuf::from)
    }
}

impl Default for Environment {
    fn default() -> Self {
        Environment::process()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Environment(process)"),
            Some(vars) => f
                .debug_struct("Environment")
                .field("vars", &vars.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}
