//! Credentials: each source, precedence, partial configurations, profile file errors, and
//! the headers each kind of credential adds.

use std::fs;
use std::path::Path;
use std::time::UNIX_EPOCH;

use http::{HeaderMap, HeaderValue, Method, Uri};
use hwcloud_auth::{
    CredentialSource, Credentials, CredentialsChain, CredentialsError, Environment, SignError,
    format_sdk_date,
};

const URI: &str = "https://mrs.cn-north-4.myhuaweicloud.com/v2/p1/clusters/c1/iam-sync";

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_vars(vars.iter().map(|&(k, v)| (k, v)))
}

fn write_profile(dir: &Path, content: &str) -> String {
    let path = dir.join("credentials");
    fs::write(&path, content).expect("write profile");
    path.to_string_lossy().into_owned()
}

/// A home directory with `.huaweicloud/credentials`.
fn home_with_profile(content: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    fs::create_dir(home.path().join(".huaweicloud")).expect("mkdir");
    fs::write(home.path().join(".huaweicloud/credentials"), content).expect("write");
    home
}

fn authorize(creds: &Credentials) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    creds
        .authorize(
            &Method::GET,
            &URI.parse::<Uri>().unwrap(),
            &mut headers,
            b"",
            UNIX_EPOCH,
        )
        .expect("authorize");
    headers
}

// ----------------------------------------------------------------------------------------
// Constructors and accessors

#[test]
fn constructors_and_accessors() {
    let p = Credentials::permanent("AK1", "SK1");
    assert_eq!(p.access_key(), Some("AK1"));
    assert_eq!(p.project_id(), None);
    assert!(p.signs_requests());
    let p = p.with_project_id("proj");
    assert_eq!(p.project_id(), Some("proj"));
    assert_eq!(p.clone().with_project_id("").project_id(), None);

    let t = Credentials::temporary("AK2", "SK2", "TOKEN2").with_project_id("p2");
    assert_eq!(t.access_key(), Some("AK2"));
    assert_eq!(t.project_id(), Some("p2"));

    let k = Credentials::token("IAMTOKEN");
    assert_eq!(k.access_key(), None);
    assert!(!k.signs_requests());
    assert_eq!(k.with_project_id("p3").project_id(), Some("p3"));

    // Constructing never panics, even with odd input; errors come when authorizing.
    let odd = Credentials::permanent("", "").with_project_id("\n");
    let mut h = HeaderMap::new();
    let uri: Uri = URI.parse().unwrap();
    assert_eq!(
        odd.authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH),
        Err(SignError::MissingAccessKey)
    );
    assert_eq!(
        Credentials::permanent("AK", "").authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH),
        Err(SignError::MissingSecretKey)
    );
    let bad_project = Credentials::permanent("AK", "SK")
        .with_project_id("bad\nid")
        .authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH);
    assert!(
        matches!(
            bad_project,
            Err(SignError::InvalidHeaderValue {
                name: "x-project-id",
                ..
            })
        ),
        "{bad_project:?}"
    );
    let bad_token =
        Credentials::token("bad\rtoken").authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH);
    assert!(
        matches!(
            bad_token,
            Err(SignError::InvalidHeaderValue {
                name: "x-auth-token",
                ..
            })
        ),
        "{bad_token:?}"
    );
}

// ----------------------------------------------------------------------------------------
// Headers added by authorize

#[test]
fn permanent_adds_project_id_and_signs() {
    let h = authorize(&Credentials::permanent("AK", "SK").with_project_id("proj1"));
    assert_eq!(h["x-project-id"], "proj1");
    assert_eq!(h["x-sdk-date"], "19700101T000000Z");
    assert_eq!(h["host"], "mrs.cn-north-4.myhuaweicloud.com");
    let auth = h["authorization"].to_str().unwrap();
    assert!(
        auth.starts_with(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature="
        ),
        "{auth}"
    );
    assert!(h["authorization"].is_sensitive());
    assert!(!h.contains_key("x-security-token"));
    assert!(!h.contains_key("x-auth-token"));
}

#[test]
fn permanent_without_project_id_adds_none() {
    let h = authorize(&Credentials::permanent("AK", "SK"));
    assert!(!h.contains_key("x-project-id"));
    assert!(
        h["authorization"]
            .to_str()
            .unwrap()
            .contains("SignedHeaders=content-type;host;x-sdk-date,")
    );
}

#[test]
fn temporary_adds_signed_security_token() {
    let h = authorize(&Credentials::temporary("AK", "SK", "TOKEN").with_project_id("proj1"));
    assert_eq!(h["x-security-token"], "TOKEN");
    assert!(h["x-security-token"].is_sensitive());
    assert_eq!(h["x-project-id"], "proj1");
    assert!(
        h["authorization"]
            .to_str()
            .unwrap()
            .contains("SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,")
    );
}

#[test]
fn token_mode_adds_auth_token_and_does_not_sign() {
    let h = authorize(&Credentials::token("IAMTOKEN").with_project_id("proj1"));
    assert_eq!(h["x-auth-token"], "IAMTOKEN");
    assert!(h["x-auth-token"].is_sensitive());
    for absent in [
        "authorization",
        "x-sdk-date",
        "host",
        "x-project-id",
        "x-security-token",
    ] {
        assert!(
            !h.contains_key(absent),
            "{absent} should not be set in token mode"
        );
    }
}

#[test]
fn authorize_twice_replaces_instead_of_appending() {
    let creds = Credentials::temporary("AK", "SK", "TOKEN").with_project_id("proj1");
    let uri: Uri = URI.parse().unwrap();
    let mut h = HeaderMap::new();
    creds
        .authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH)
        .unwrap();
    let first = h["authorization"].clone();
    creds
        .authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH)
        .unwrap();
    for name in [
        "authorization",
        "x-security-token",
        "x-project-id",
        "x-sdk-date",
        "host",
    ] {
        assert_eq!(h.get_all(name).iter().count(), 1, "{name}");
    }
    assert_eq!(h["authorization"], first);
}

#[test]
fn now_is_used_when_there_is_no_date() {
    let t = UNIX_EPOCH + std::time::Duration::from_secs(1_704_164_645);
    let mut h = HeaderMap::new();
    Credentials::permanent("AK", "SK")
        .authorize(&Method::GET, &URI.parse::<Uri>().unwrap(), &mut h, b"", t)
        .unwrap();
    assert_eq!(h["x-sdk-date"], "20240102T030405Z");
    assert_eq!(format_sdk_date(t), "20240102T030405Z");
}

// ----------------------------------------------------------------------------------------
// Environment

#[test]
fn environment_permanent() {
    let e = env(&[
        ("HUAWEICLOUD_SDK_AK", "AK_ENV"),
        ("HUAWEICLOUD_SDK_SK", "SK_ENV"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "p-env"),
    ]);
    let (c, source) = Credentials::from_environment(&e).unwrap().unwrap();
    assert_eq!(source, CredentialSource::Environment);
    assert!(matches!(c, Credentials::Permanent { .. }));
    assert_eq!(c.access_key(), Some("AK_ENV"));
    assert_eq!(c.project_id(), Some("p-env"));
}

#[test]
fn environment_temporary() {
    let e = env(&[
        ("HUAWEICLOUD_SDK_AK", "AK_ENV"),
        ("HUAWEICLOUD_SDK_SK", "SK_ENV"),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "TOKEN_ENV"),
    ]);
    let (c, _) = Credentials::from_environment(&e).unwrap().unwrap();
    assert!(matches!(c, Credentials::Temporary { .. }));
    assert_eq!(c.project_id(), None);
    assert_eq!(authorize(&c)["x-security-token"], "TOKEN_ENV");
}

#[test]
fn environment_none() {
    assert!(Credentials::from_environment(&env(&[])).unwrap().is_none());
    // Empty values count as unset; a project id alone is not credentials.
    let e = env(&[
        ("HUAWEICLOUD_SDK_AK", ""),
        ("HUAWEICLOUD_SDK_SK", ""),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "p"),
    ]);
    assert!(Credentials::from_environment(&e).unwrap().is_none());
}

#[test]
fn environment_partial_sets_name_what_is_missing() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("HUAWEICLOUD_SDK_AK", "AK_ENV")],
            "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not (environment)",
        ),
        (
            &[("HUAWEICLOUD_SDK_AK", "AK_ENV"), ("HUAWEICLOUD_SDK_SK", "")],
            "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not (environment)",
        ),
        (
            &[("HUAWEICLOUD_SDK_SK", "SK_ENV")],
            "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not (environment)",
        ),
        (
            &[("HUAWEICLOUD_SDK_SECURITY_TOKEN", "TOKEN_ENV")],
            "HUAWEICLOUD_SDK_SECURITY_TOKEN is set but HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK are not (environment)",
        ),
        (
            &[
                ("HUAWEICLOUD_SDK_AK", "AK_ENV"),
                ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "TOKEN_ENV"),
            ],
            "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not (environment)",
        ),
    ];
    for (vars, want) in cases {
        let err = Credentials::from_environment(&env(vars)).unwrap_err();
        assert_eq!(err.to_string(), *want);
        // The chain stops at the partial source rather than falling through.
        let home = home_with_profile("[basic]\nak = A\nsk = S\n");
        let mut with_home: Vec<(&str, &str)> = vars.to_vec();
        let home_str = home.path().to_string_lossy().into_owned();
        with_home.push(("HOME", &home_str));
        assert_eq!(chain_error(&env(&with_home)).to_string(), *want);
    }
}

// ----------------------------------------------------------------------------------------
// Profile file

#[test]
fn profile_default_location_permanent() {
    let home = home_with_profile(
        "# comment\n; another\n[other]\nak = nope\n\n[basic]\nAK = AK_FILE\n  sk=SK_FILE  \nproject_id : p-file\n",
    );
    let e = env(&[("HOME", &home.path().to_string_lossy())]);
    let (c, source) = Credentials::from_profile_file(&e).unwrap().unwrap();
    let path = home.path().join(".huaweicloud").join("credentials");
    assert_eq!(source, CredentialSource::ProfileFile(path.clone()));
    assert_eq!(
        source.to_string(),
        format!("profile file {} [basic]", path.display())
    );
    assert!(matches!(c, Credentials::Permanent { .. }));
    assert_eq!(c.access_key(), Some("AK_FILE"));
    assert_eq!(c.project_id(), Some("p-file"));
}

#[test]
fn profile_from_env_var_temporary_with_bom_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(
        dir.path(),
        "\u{feff}[basic]\r\nak = AK_FILE\r\nsk = SK_FILE\r\nsecurity_token = TOKEN_FILE\r\n",
    );
    let e = env(&[
        ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path),
        ("HOME", "/nonexistent"),
    ]);
    let (c, _) = Credentials::from_profile_file(&e).unwrap().unwrap();
    assert!(matches!(c, Credentials::Temporary { .. }));
    assert_eq!(authorize(&c)["x-security-token"], "TOKEN_FILE");
}

#[test]
fn profile_missing_default_file_is_none() {
    let home = tempfile::tempdir().unwrap();
    let e = env(&[("HOME", &home.path().to_string_lossy())]);
    assert!(Credentials::from_profile_file(&e).unwrap().is_none());
    // No home at all: nothing to look at.
    assert!(Credentials::from_profile_file(&env(&[])).unwrap().is_none());
}

#[test]
fn profile_named_by_env_var_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let e = env(&[(
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
        &missing.to_string_lossy(),
    )]);
    let err = Credentials::from_profile_file(&e).unwrap_err();
    assert!(matches!(err, CredentialsError::ProfileNotFound { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "HUAWEICLOUD_SDK_CREDENTIALS_FILE names the profile file {}, which does not exist",
            missing.display()
        )
    );
}

#[test]
fn profile_unreadable_names_the_file() {
    // A directory where the file should be cannot be read, even as root.
    let dir = tempfile::tempdir().unwrap();
    let e = env(&[(
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
        &dir.path().to_string_lossy(),
    )]);
    let err = Credentials::from_profile_file(&e).unwrap_err();
    assert!(
        matches!(err, CredentialsError::ProfileUnreadable { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("cannot read the profile file {}", dir.path().display())
    );
    // The I/O error is the cause, not part of the message.
    let cause = std::error::Error::source(&err).expect("the I/O error");
    assert!(
        cause.downcast_ref::<std::io::Error>().is_some(),
        "{cause:?}"
    );
}

#[test]
fn profile_not_utf8_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, b"[basic]\nak = A\nsk = \xff\xfe\n").unwrap();
    let e = env(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path.to_string_lossy())]);
    let err = Credentials::from_profile_file(&e).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid profile file {}, line 3: the file is not valid UTF-8",
            path.display()
        )
    );
}

#[test]
fn profile_missing_basic_section() {
    for (content, tail) in [
        (
            "[Basic]\nak = A\nsk = S\n",
            " (it has one spelled in another case; section names are case-sensitive)",
        ),
        ("[global]\nak = A\n[x]\n", " (it has 2 other sections)"),
        ("[global]\nak = A\n", " (it has 1 other section)"),
        ("# only a comment\n", " (it has no sections)"),
        ("", " (it has no sections)"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_profile(dir.path(), content);
        let e = env(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path)]);
        let err = Credentials::from_profile_file(&e).unwrap_err();
        assert!(matches!(err, CredentialsError::MissingSection { .. }));
        assert_eq!(
            err.to_string(),
            format!("the profile file {path} has no [basic] section{tail}")
        );
    }
}

#[test]
fn profile_partial_sections_name_what_is_missing() {
    for (content, want) in [
        ("[basic]\nak = A\n", "ak is set but sk is not"),
        ("[basic]\nak = A\nsk =\n", "ak is set but sk is not"),
        ("[basic]\nsk = S\n", "sk is set but ak is not"),
        (
            "[basic]\nsecurity_token = T\n",
            "security_token is set but ak and sk are not",
        ),
        (
            "[basic]\nproject_id = p\n",
            "no credentials: ak and sk are not set",
        ),
        ("[basic]\n", "no credentials: ak and sk are not set"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_profile(dir.path(), content);
        let e = env(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path)]);
        let err = Credentials::from_profile_file(&e).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{want} ([basic] section of {path})"),
            "{content:?}"
        );
    }
}

#[test]
fn profile_syntax_errors_name_file_and_line_without_content() {
    for (content, line, reason) in [
        (
            "[basic]\nak = A\nSECRETLINE\n",
            3,
            "expected `key = value`, a `[section]` header or a comment",
        ),
        (
            "[basic\nak = A\n",
            1,
            "a section header must look like `[name]`",
        ),
        (
            "ak = SECRETVALUE\n[basic]\n",
            1,
            "key `ak` comes before any `[section]` header",
        ),
        (
            "[basic]\n = SECRETVALUE\n",
            2,
            "a key is missing before `=`",
        ),
        (
            "[basic]\nsk = SECRET1\nsk = SECRET2\n",
            3,
            "key `sk` appears twice in section [basic]",
        ),
        (
            "[basic]\nak = A\n[basic]\n",
            3,
            "section [basic] appears twice",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_profile(dir.path(), content);
        let e = env(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path)]);
        let err = Credentials::from_profile_file(&e).unwrap_err();
        let msg = err.to_string();
        assert_eq!(
            msg,
            format!("invalid profile file {path}, line {line}: {reason}")
        );
        assert!(
            !msg.contains("SECRET") && !format!("{err:?}").contains("SECRET"),
            "{msg}"
        );
    }
}

#[test]
fn profile_values_are_not_comment_stripped() {
    // Like configparser: no inline comments, quotes kept.
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), "[basic]\nak = A ; not a comment\nsk = \"S\"\n");
    let e = env(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &path)]);
    let (c, _) = Credentials::from_profile_file(&e).unwrap().unwrap();
    assert_eq!(c.access_key(), Some("A ; not a comment"));
    match c {
        Credentials::Permanent { sk, .. } => assert_eq!(sk.expose(), "\"S\""),
        other => panic!("{other:?}"),
    }
}

// ----------------------------------------------------------------------------------------
// Chain

/// The static part of the default chain: what it finds without any I/O.
fn chain_static(e: &Environment) -> (Option<Credentials>, Option<CredentialSource>, Vec<String>) {
    let (found, tried) = CredentialsChain::new(e.clone(), Some("cn-north-4"))
        .configured()
        .expect("no configuration error");
    let provided = found.as_ref().and_then(|p| p.static_credentials().cloned());
    (
        provided.as_ref().map(|p| p.credentials.clone()),
        provided.map(|p| p.source),
        tried.iter().map(ToString::to_string).collect(),
    )
}

fn chain_error(e: &Environment) -> CredentialsError {
    CredentialsChain::new(e.clone(), None)
        .configured()
        .expect_err("a configuration error")
}

#[test]
fn chain_prefers_environment_over_profile() {
    let home = home_with_profile("[basic]\nak = AK_FILE\nsk = SK_FILE\n");
    let home_str = home.path().to_string_lossy().into_owned();
    let e = env(&[
        ("HOME", &home_str),
        ("HUAWEICLOUD_SDK_AK", "AK_ENV"),
        ("HUAWEICLOUD_SDK_SK", "SK_ENV"),
    ]);
    let (c, source, tried) = chain_static(&e);
    assert_eq!(source, Some(CredentialSource::Environment));
    assert_eq!(c.unwrap().access_key(), Some("AK_ENV"));
    assert_eq!(tried.len(), 1, "{tried:?}");

    let (c, source, _) = chain_static(&env(&[("HOME", &home_str)]));
    assert!(matches!(source, Some(CredentialSource::ProfileFile(_))));
    assert_eq!(c.unwrap().access_key(), Some("AK_FILE"));
}

#[test]
fn chain_nothing_configured_says_where_it_looked() {
    let home = tempfile::tempdir().unwrap();
    let (c, _, tried) = chain_static(&env(&[("HOME", &home.path().to_string_lossy())]));
    assert!(c.is_none());
    assert_eq!(
        tried,
        [
            "OIDC STS: HUAWEICLOUD_OIDC_PROVIDER_URN and HUAWEICLOUD_OIDC_AGENCY_URN are not set"
                .to_owned(),
            "environment: neither HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK nor \
             HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE are set"
                .to_owned(),
            format!(
                "profile file: {} does not exist",
                home.path()
                    .join(".huaweicloud")
                    .join("credentials")
                    .display()
            ),
        ]
    );
    let (_, _, tried) = chain_static(&env(&[]));
    assert_eq!(
        tried[2],
        "profile file: HUAWEICLOUD_SDK_CREDENTIALS_FILE is not set and there is no home directory (HOME)"
    );
}

#[test]
fn chain_profile_errors_are_reported() {
    let home = home_with_profile("[basic]\nak = A\n");
    let err = chain_error(&env(&[("HOME", &home.path().to_string_lossy())]));
    assert!(
        err.to_string()
            .starts_with("ak is set but sk is not ([basic] section of ")
    );
}

#[test]
fn environment_lookup() {
    let e = env(&[("A", "1"), ("HOME", "/home/x")]);
    assert_eq!(e.var("A").as_deref(), Some("1"));
    assert_eq!(e.var("B"), None);
    assert_eq!(e.var(""), None);
    assert_eq!(e.var("A=B"), None);
    assert_eq!(e.var("A\0"), None);
    assert_eq!(e.home_dir(), Some("/home/x".into()));
    assert_eq!(
        env(&[("USERPROFILE", "C:\\Users\\x")]).home_dir(),
        Some("C:\\Users\\x".into())
    );
    assert_eq!(env(&[("HOME", "")]).home_dir(), None);
    // The real environment can be read (not asserted: it is whatever the runner has).
    let _ = Environment::process().var("PATH");
    let _ = Environment::default().home_dir();
    assert_eq!(
        format!("{:?}", Environment::process()),
        "Environment(process)"
    );
    assert_eq!(
        CredentialSource::Explicit.to_string(),
        "explicitly configured credentials"
    );
    assert_eq!(
        CredentialSource::Environment.to_string(),
        "environment variables HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
    );
}
