//! Region table, endpoint overrides, the regions file and endpoint normalization.

use hwcloud_auth::{
    EndpointError, Environment, REGIONS, Region, normalize_endpoint, resolve_endpoints,
};

fn no_env() -> Environment {
    Environment::from_vars(Vec::<(String, String)>::new())
}

/// A regions file in a fresh directory, and the variable that names it.
fn regions_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regions.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path.to_string_lossy().into_owned())
}

const REGIONS_YAML: &str = "\
mrs:
  - id: cn-north-4
    endpoints:
      - vpcep-1.example.com
      - https://vpcep-2.example.com:8443/
    endpoint: https://mrs.cn-north-4.myhuaweicloud.com
  - id: xx-private-1
    endpoint: http://10.0.0.7:8080
";

#[test]
fn lookup_order_variable_then_file_then_table() {
    let (dir, path) = regions_file(REGIONS_YAML);
    let file_only = Environment::from_vars([("HUAWEICLOUD_SDK_REGIONS_FILE", path.as_str())]);
    // 2. The file: its `endpoints`, then its `endpoint`, normalized.
    assert_eq!(
        resolve_endpoints("cn-north-4", &file_only).unwrap(),
        [
            "https://vpcep-1.example.com",
            "https://vpcep-2.example.com:8443",
            "https://mrs.cn-north-4.myhuaweicloud.com"
        ]
    );
    // ...which makes a region the table lacks usable.
    assert_eq!(
        resolve_endpoints("XX-Private-1", &file_only).unwrap(),
        ["http://10.0.0.7:8080"]
    );
    // 3. The table, for a region the file does not list.
    assert_eq!(
        resolve_endpoints("cn-east-3", &file_only).unwrap(),
        ["https://mrs.cn-east-3.myhuaweicloud.com"]
    );
    // 1. The variable wins over the file.
    let both = Environment::from_vars([
        ("HUAWEICLOUD_SDK_REGIONS_FILE", path.as_str()),
        (
            "HUAWEICLOUD_SDK_REGION_MRS_CN_NORTH_4",
            "https://a.example,https://b.example",
        ),
    ]);
    assert_eq!(
        resolve_endpoints("cn-north-4", &both).unwrap(),
        ["https://a.example", "https://b.example"]
    );
    // 4. An error for a region nowhere.
    assert!(matches!(
        resolve_endpoints("xx-moon-1", &file_only).unwrap_err(),
        EndpointError::UnknownRegion { .. }
    ));
    // ~/.huaweicloud/regions.yaml when the variable is not set.
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".huaweicloud")).unwrap();
    std::fs::write(home.join(".huaweicloud/regions.yaml"), REGIONS_YAML).unwrap();
    let home_env = Environment::from_vars([("HOME", home.to_str().unwrap())]);
    assert_eq!(
        resolve_endpoints("xx-private-1", &home_env).unwrap(),
        ["http://10.0.0.7:8080"]
    );
    // A home without one is fine.
    let empty_home = Environment::from_vars([("HOME", dir.path().to_str().unwrap())]);
    assert_eq!(
        resolve_endpoints("cn-north-4", &empty_home).unwrap(),
        ["https://mrs.cn-north-4.myhuaweicloud.com"]
    );
}

#[test]
fn a_broken_regions_file_is_an_error_naming_file_and_line() {
    // Not YAML: the error names the file and the line; nothing falls back to the table.
    let (_dir, path) = regions_file("mrs:\n  - id: cn-north-4\n    endpoint: [https://x\n");
    let env = Environment::from_vars([("HUAWEICLOUD_SDK_REGIONS_FILE", path.as_str())]);
    let err = resolve_endpoints("cn-north-4", &env).unwrap_err();
    let EndpointError::RegionsFile(file_err) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(file_err.line, Some(4));
    assert!(
        err.to_string()
            .starts_with(&format!("the regions file {path}, line 4: not valid YAML")),
        "{err}"
    );
    // YAML, but an endpoint that is not a URL: its line.
    let (_dir, path) = regions_file(
        "MRS:\n  - id: cn-north-4\n    endpoints:\n      - https://ok\n      - ftp://no\n",
    );
    let env = Environment::from_vars([("HUAWEICLOUD_SDK_REGIONS_FILE", path.as_str())]);
    assert_eq!(
        resolve_endpoints("cn-north-4", &env)
            .unwrap_err()
            .to_string(),
        format!(
            "the regions file {path}, line 5: unsupported endpoint scheme \"ftp\": use https:// (or http://), or give the host alone"
        )
    );
    // A file the variable names must exist.
    let env =
        Environment::from_vars([("HUAWEICLOUD_SDK_REGIONS_FILE", "/nonexistent/regions.yaml")]);
    assert_eq!(
        resolve_endpoints("cn-north-4", &env)
            .unwrap_err()
            .to_string(),
        "the regions file /nonexistent/regions.yaml does not exist (HUAWEICLOUD_SDK_REGIONS_FILE names it)"
    );
}

/// The reference's list (mrs-iam-sync-api.md), quoted independently of the table.
const COM: &[&str] = &[
    "af-north-1",
    "af-south-1",
    "ae-ad-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "eu-west-0",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "sa-brazil-1",
    "tr-west-1",
];
const CN: &[&str] = &["ap-southeast-1", "ap-southeast-4", "ru-northwest-2"];
const EU: &[&str] = &["eu-west-101"];

#[test]
fn table_matches_the_reference() {
    assert_eq!(REGIONS.len(), COM.len() + CN.len() + EU.len());
    for (ids, domain) in [
        (COM, "myhuaweicloud.com"),
        (CN, "myhuaweicloud.cn"),
        (EU, "myhuaweicloud.eu"),
    ] {
        for id in ids {
            let want = format!("https://mrs.{id}.{domain}");
            let region = Region::find(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(region.endpoint, want);
            assert_eq!(resolve_endpoints(id, &no_env()).unwrap(), [want.as_str()]);
        }
    }
    // Every entry: unique id, https, no trailing slash, and it normalizes to itself.
    for (i, r) in REGIONS.iter().enumerate() {
        assert!(
            REGIONS[..i].iter().all(|o| o.id != r.id),
            "duplicate {}",
            r.id
        );
        assert_eq!(normalize_endpoint(r.endpoint).unwrap(), r.endpoint);
        assert_eq!(r.to_string(), format!("{} ({})", r.id, r.endpoint));
    }
}

#[test]
fn exceptions() {
    assert_eq!(
        resolve_endpoints("ap-southeast-1", &no_env()).unwrap(),
        ["https://mrs.ap-southeast-1.myhuaweicloud.cn"]
    );
    assert_eq!(
        resolve_endpoints("ap-southeast-4", &no_env()).unwrap(),
        ["https://mrs.ap-southeast-4.myhuaweicloud.cn"]
    );
    assert_eq!(
        resolve_endpoints("ru-northwest-2", &no_env()).unwrap(),
        ["https://mrs.ru-northwest-2.myhuaweicloud.cn"]
    );
    assert_eq!(
        resolve_endpoints("eu-west-101", &no_env()).unwrap(),
        ["https://mrs.eu-west-101.myhuaweicloud.eu"]
    );
    // Lenient about case and surrounding space.
    assert_eq!(
        resolve_endpoints(" CN-North-4 ", &no_env()).unwrap(),
        ["https://mrs.cn-north-4.myhuaweicloud.com"]
    );
}

#[test]
fn env_override() {
    let env = Environment::from_vars([
        (
            "HUAWEICLOUD_SDK_REGION_MRS_CN_NORTH_4",
            " mrs.internal.example:8443/ , https://second.example",
        ),
        ("HUAWEICLOUD_SDK_REGION_MRS_XX_NEW_1", "http://10.1.2.3"),
        ("HUAWEICLOUD_SDK_REGION_MRS_AP_SOUTHEAST_1", "   "),
        ("HUAWEICLOUD_SDK_REGION_MRS_EU_WEST_0", "ftp://nope"),
        (
            "HUAWEICLOUD_SDK_REGION_MRS_LA_NORTH_2",
            ",https://second.example",
        ),
    ]);
    // Overrides the table; every entry, in order; scheme added; trailing slash removed.
    assert_eq!(
        resolve_endpoints("cn-north-4", &env).unwrap(),
        [
            "https://mrs.internal.example:8443",
            "https://second.example"
        ]
    );
    // Makes an unknown region usable.
    assert_eq!(
        resolve_endpoints("xx-new-1", &env).unwrap(),
        ["http://10.1.2.3"]
    );
    // A blank variable is ignored.
    assert_eq!(
        resolve_endpoints("ap-southeast-1", &env).unwrap(),
        ["https://mrs.ap-southeast-1.myhuaweicloud.cn"]
    );
    // A bad one is an error naming the variable.
    let err = resolve_endpoints("eu-west-0", &env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "HUAWEICLOUD_SDK_REGION_MRS_EU_WEST_0 does not hold a usable endpoint"
    );
    // Why comes through `source()`.
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "unsupported endpoint scheme \"ftp\": use https:// (or http://), or give the host alone"
    );
    let err = resolve_endpoints("la-north-2", &env).unwrap_err();
    assert!(
        matches!(err, EndpointError::InvalidOverride { .. }),
        "{err:?}"
    );
    assert_eq!(
        hwcloud_auth::region_override_var("ap-southeast-1"),
        "HUAWEICLOUD_SDK_REGION_MRS_AP_SOUTHEAST_1"
    );
}

#[test]
fn unknown_region_explains_how_to_pass_an_endpoint() {
    let err = resolve_endpoints("xx-moon-1", &no_env()).unwrap_err();
    assert!(
        matches!(
            &err,
            EndpointError::UnknownRegion { region, var, .. }
                if region == "xx-moon-1" && var == "HUAWEICLOUD_SDK_REGION_MRS_XX_MOON_1"
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "unknown MRS region \"xx-moon-1\"; pass the endpoint explicitly instead \
             (for example `https://mrs.xx-moon-1.myhuaweicloud.com`), set \
             HUAWEICLOUD_SDK_REGION_MRS_XX_MOON_1=<endpoint>, or list it under `mrs` in the \
             regions file; known regions: ae-ad-1, af-north-1"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("tr-west-1"));
    assert_eq!(
        resolve_endpoints("  ", &no_env()).unwrap_err(),
        EndpointError::EmptyRegion
    );
    // Odd region strings never panic (even ones that are not valid variable names).
    for odd in ["a=b", "a\0b", "é", "-", "x".repeat(10_000).as_str()] {
        assert!(resolve_endpoints(odd, &no_env()).is_err());
    }
}

#[test]
fn normalize() {
    for (input, want) in [
        ("mrs.example.com", "https://mrs.example.com"),
        ("mrs.example.com/", "https://mrs.example.com"),
        ("mrs.example.com///", "https://mrs.example.com"),
        ("  https://mrs.example.com  ", "https://mrs.example.com"),
        ("HTTPS://mrs.example.com", "https://mrs.example.com"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("localhost:9000", "https://localhost:9000"),
        ("[::1]:8443", "https://[::1]:8443"),
        (
            "https://gw.example.com/prefix/",
            "https://gw.example.com/prefix",
        ),
    ] {
        assert_eq!(normalize_endpoint(input).unwrap(), want, "{input:?}");
    }
}

#[test]
fn normalize_rejects_garbage_with_clear_messages() {
    assert_eq!(
        normalize_endpoint("").unwrap_err().to_string(),
        "the endpoint is empty"
    );
    assert_eq!(normalize_endpoint(" \t").unwrap_err(), EndpointError::Empty);
    for (input, reason) in [
        ("https://", "it has no host"),
        ("https:///path", "it has no host"),
        ("/just/a/path", "it has no host"),
        ("mrs example.com", "it is not a valid URL"),
        (
            "https://mrs.example.com?x=1",
            "it must not have a query or a fragment",
        ),
        (
            "https://mrs.example.com/#top",
            "it must not have a query or a fragment",
        ),
        (
            "mrs.example.com:99999",
            "its port is not a number from 0 to 65535",
        ),
        ("mrs.example.com:", "its port is empty"),
        ("://mrs.example.com", "it is not a URL"),
        ("ht tp://x", "it is not a URL"),
    ] {
        let err = normalize_endpoint(input).unwrap_err();
        assert!(
            matches!(&err, EndpointError::Invalid { reason: r, .. } if *r == reason),
            "{input:?}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("invalid endpoint {:?}: {reason}", input.trim())
        );
    }
    let err = normalize_endpoint("ftp://mrs.example.com").unwrap_err();
    assert!(
        matches!(&err, EndpointError::UnsupportedScheme { scheme, .. } if scheme == "ftp"),
        "{err:?}"
    );
    // User info is rejected and never echoed (it may be a password).
    let err = normalize_endpoint("https://user:PASSWORD@mrs.example.com").unwrap_err();
    assert!(!err.to_string().contains("PASSWORD") && !format!("{err:?}").contains("PASSWORD"));
    assert!(err.to_string().contains("user information"));
}
