//! Where requests go: MRS (a list of endpoints per region, see [`resolve_endpoints`] and
//! the [`regions_file`]), and the services the credential providers call: IAM, STS and the
//! ECS/BMS metadata service, each with its environment override.
//!
//! | Service  | Override variable                    | Without it                                           |
//! |----------|--------------------------------------|------------------------------------------------------|
//! | MRS      | `HUAWEICLOUD_SDK_REGION_MRS_<ID>` (a comma list) | the regions file, else [`REGIONS`]        |
//! | IAM      | `HUAWEICLOUD_SDK_IAM_ENDPOINT`       | the official per-region table, else [`DEFAULT_IAM_ENDPOINT`] |
//! | STS      | `HUAWEICLOUD_SDK_STS_ENDPOINT`       | the official per-region table, else [`DEFAULT_STS_ENDPOINT`] |
//! | metadata | `HUAWEICLOUD_SDK_METADATA_ENDPOINT`  | [`DEFAULT_METADATA_ENDPOINT`]                         |
//!
//! The first two variables are the official SDK's; the metadata one is this project's own
//! (for tests and unusual hosts). Values are normalized with [`normalize_endpoint`]
//! (`https://` added when there is no scheme, trailing `/` removed). Resolving an endpoint
//! sends nothing.
//!
//! ```
//! use hwcloud_auth::Environment;
//! use hwcloud_auth::endpoints::{iam_endpoint, sts_endpoint};
//! let env = Environment::from_vars([("HUAWEICLOUD_SDK_STS_ENDPOINT", "sts.example.net/")]);
//! assert_eq!(iam_endpoint(Some("cn-north-4"), &env)?, "https://iam.cn-north-4.myhuaweicloud.com");
//! assert_eq!(iam_endpoint(Some("xx-test-1"), &env)?, "https://iam.myhuaweicloud.com");
//! assert_eq!(sts_endpoint(Some("cn-north-4"), &env)?, "https://sts.example.net");
//! # Ok::<(), hwcloud_auth::EndpointError>(())
//! ```

mod region;
pub mod regions_file;
mod tables;

pub use region::{
    EndpointError, REGIONS, Region, normalize_endpoint, region_override_var, resolve_endpoints,
};

use crate::env::Environment;

/// Overrides the IAM endpoint (the official SDK's variable).
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// Overrides the STS endpoint (the official SDK's variable).
pub const ENV_STS_ENDPOINT: &str = "HUAWEICLOUD_SDK_STS_ENDPOINT";
/// Overrides the metadata service's address (this project's variable).
pub const ENV_METADATA_ENDPOINT: &str = "HUAWEICLOUD_SDK_METADATA_ENDPOINT";

/// The official SDK's IAM endpoint for regions missing from its table.
pub const DEFAULT_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";
/// The official SDK's STS endpoint for regions missing from its table.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.cn-north-4.myhuaweicloud.com";
/// The ECS/BMS metadata service.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";

/// The IAM endpoint: `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the region's, else the default.
pub fn iam_endpoint(region: Option<&str>, env: &Environment) -> Result<String, EndpointError> {
    resolve(
        ENV_IAM_ENDPOINT,
        tables::IAM,
        DEFAULT_IAM_ENDPOINT,
        region,
        env,
    )
}

/// The STS endpoint: `HUAWEICLOUD_SDK_STS_ENDPOINT`, else the region's, else the default.
pub fn sts_endpoint(region: Option<&str>, env: &Environment) -> Result<String, EndpointError> {
    resolve(
        ENV_STS_ENDPOINT,
        tables::STS,
        DEFAULT_STS_ENDPOINT,
        region,
        env,
    )
}

/// The metadata service: `HUAWEICLOUD_SDK_METADATA_ENDPOINT`, else `http://169.254.169.254`.
pub fn metadata_endpoint(env: &Environment) -> Result<String, EndpointError> {
    resolve(
        ENV_METADATA_ENDPOINT,
        &[],
        DEFAULT_METADATA_ENDPOINT,
        None,
        env,
    )
}

fn resolve(
    var: &'static str,
    table: &[(&str, &'static str)],
    default: &'static str,
    region: Option<&str>,
    env: &Environment,
) -> Result<String, EndpointError> {
    if let Some(value) = env.var(var).filter(|v| !v.trim().is_empty()) {
        return normalize_endpoint(&value).map_err(|reason| EndpointError::InvalidOverride {
            var: var.to_owned(),
            reason: Box::new(reason),
        });
    }
    let region = region.map(str::trim);
    let found = table
        .iter()
        .find(|(id, _)| region.is_some_and(|r| r.eq_ignore_ascii_case(id)));
    Ok(found.map_or(default, |(_, endpoint)| endpoint).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_follow_the_naming_pattern() {
        for (table, service) in [(tables::IAM, "iam"), (tables::STS, "sts")] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "{service}");
            for (id, endpoint) in table {
                assert_eq!(
                    *endpoint,
                    format!("https://{service}.{id}.myhuaweicloud.com")
                );
            }
        }
        assert_eq!(tables::IAM.len(), 27);
        assert_eq!(tables::STS.len(), 12);
    }

    #[test]
    fn overrides_defaults_and_errors() {
        let none = Environment::from_vars([("HOME", "/nonexistent")]);
        assert_eq!(
            sts_endpoint(Some("ap-southeast-3"), &none).unwrap(),
            "https://sts.ap-southeast-3.myhuaweicloud.com"
        );
        assert_eq!(
            sts_endpoint(Some("cn-north-1"), &none).unwrap(),
            DEFAULT_STS_ENDPOINT
        );
        assert_eq!(sts_endpoint(None, &none).unwrap(), DEFAULT_STS_ENDPOINT);
        assert_eq!(iam_endpoint(None, &none).unwrap(), DEFAULT_IAM_ENDPOINT);
        assert_eq!(metadata_endpoint(&none).unwrap(), DEFAULT_METADATA_ENDPOINT);
        let set = Environment::from_vars([
            (ENV_IAM_ENDPOINT, "http://127.0.0.1:9/"),
            (ENV_METADATA_ENDPOINT, "http://127.0.0.1:8"),
            (ENV_STS_ENDPOINT, "ftp://sts"),
        ]);
        assert_eq!(
            iam_endpoint(Some("cn-north-4"), &set).unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(metadata_endpoint(&set).unwrap(), "http://127.0.0.1:8");
        let err = sts_endpoint(None, &set).unwrap_err().to_string();
        assert!(err.contains(ENV_STS_ENDPOINT), "{err}");
    }
}
