//! No secret (SK, security token, IAM token) ever appears in `Debug`, `Display` or an error.

use std::fs;
use std::time::UNIX_EPOCH;

use http::{HeaderMap, Method, Uri};
use hwcloud_auth::{CredentialSource, Credentials, CredentialsChain, Environment, Secret};

const SK: &str = "SK-s3cr3t-Value-9f8e7d";
const TOKEN: &str = "TOKEN-s3cr3t-Value-1a2b3c";
const IAM: &str = "IAM-s3cr3t-Value-4d5e6f";
const SECRETS: &[&str] = &[SK, TOKEN, IAM, "s3cr3t"];

/// Every rendering of `value` is free of every secret.
fn assert_clean(what: &str, debug: String, display: Option<String>) {
    for rendered in std::iter::once(debug).chain(display) {
        for secret in SECRETS {
            assert!(
                !rendered.contains(secret),
                "{what} leaks a secret: {rendered}"
            );
        }
    }
}

fn check_debug<T: std::fmt::Debug>(what: &str, v: &T) {
    assert_clean(what, format!("{v:?}"), None);
    assert_clean(what, format!("{v:#?}"), None);
}

fn check_error<E: std::error::Error>(what: &str, e: &E) {
    assert_clean(what, format!("{e:?}"), Some(e.to_string()));
    let mut source = e.source();
    while let Some(s) = source {
        assert_clean(what, format!("{s:?}"), Some(s.to_string()));
        source = s.source();
    }
}

fn all_credentials() -> Vec<Credentials> {
    vec![
        Credentials::permanent("AK", SK),
        Credentials::permanent("AK", SK).with_project_id("p"),
        Credentials::temporary("AK", SK, TOKEN),
        Credentials::temporary("AK", SK, TOKEN).with_project_id("p"),
        Credentials::token(IAM),
        Credentials::token(IAM).with_project_id("p"),
    ]
}

#[test]
fn secret_type() {
    for s in [
        Secret::new(SK),
        Secret::from(TOKEN),
        Secret::from(IAM.to_owned()),
    ] {
        assert_clean("Secret", format!("{s:?} {s:#?}"), Some(format!("{s}")));
        assert_eq!(format!("{s}"), "***");
        check_debug("Secret clone", &s.clone());
    }
}

#[test]
fn credentials_debug() {
    for c in all_credentials() {
        check_debug("Credentials", &c);
        check_debug("Credentials clone", &c.clone());
    }
}

#[test]
fn headers_after_authorize_hide_tokens_and_signature() {
    let uri: Uri = "https://mrs.cn-north-4.myhuaweicloud.com/v2/p/clusters/c/iam-sync"
        .parse()
        .unwrap();
    for c in all_credentials() {
        let mut h = HeaderMap::new();
        c.authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH)
            .unwrap();
        check_debug("HeaderMap after authorize", &h);
        for name in ["authorization", "x-security-token", "x-auth-token"] {
            if let Some(v) = h.get(name) {
                assert!(v.is_sensitive(), "{name} should be marked sensitive");
                assert_eq!(format!("{v:?}"), "Sensitive");
            }
        }
    }
}

#[test]
fn sign_errors() {
    let uri: Uri = "https://e.com/x".parse().unwrap();
    let bad = [
        Credentials::temporary("AK", SK, format!("{TOKEN}\n")),
        Credentials::token(format!("{IAM}\r\n")),
        Credentials::permanent("AK\n", SK),
        Credentials::permanent("AK", SK).with_project_id("p\n"),
        Credentials::permanent("", SK),
    ];
    for c in bad {
        let mut h = HeaderMap::new();
        let e = c
            .authorize(&Method::GET, &uri, &mut h, b"", UNIX_EPOCH)
            .unwrap_err();
        check_error("SignError", &e);
        check_debug("headers after a failed authorize", &h);
    }
    // Origin-form URI: MissingHost, after the security token was added.
    let mut h = HeaderMap::new();
    let e = Credentials::temporary("AK", SK, TOKEN)
        .authorize(
            &Method::GET,
            &"/x".parse::<Uri>().unwrap(),
            &mut h,
            b"",
            UNIX_EPOCH,
        )
        .unwrap_err();
    check_error("SignError", &e);
    check_debug("headers", &h);
}

#[test]
fn environment_and_its_errors() {
    let with_secrets = [
        vec![("HUAWEICLOUD_SDK_SK", SK)],
        vec![("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN)],
        vec![
            ("HUAWEICLOUD_SDK_AK", "AK"),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN),
        ],
        vec![
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN),
        ],
        vec![
            ("HUAWEICLOUD_SDK_AK", "AK"),
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", TOKEN),
        ],
    ];
    for vars in with_secrets {
        let env = Environment::from_vars(vars.clone());
        check_debug("Environment", &env);
        check_debug("Environment clone", &env.clone());
        match CredentialsChain::new(env, None).configured() {
            Ok((found, tried)) => {
                check_debug("provider", &found);
                check_debug("tried", &tried);
                let provided = found.as_ref().and_then(|p| p.static_credentials().cloned());
                if let Some(provided) = provided {
                    check_debug("Provided", &provided);
                    let source = provided.source;
                    assert_clean(
                        "CredentialSource",
                        format!("{source:?}"),
                        Some(source.to_string()),
                    );
                }
            }
            Err(e) => check_error("CredentialsError", &e),
        }
    }
}

#[test]
fn profile_errors() {
    let contents = [
        format!("[basic]\nsk = {SK}\n"),
        format!("[basic]\nsecurity_token = {TOKEN}\n"),
        format!("[basic]\nak = AK\nsk = {SK}\nsk = {SK}\n"),
        format!("[basic]\nak = AK\n{SK}\n"),
        format!("{SK} = {TOKEN}\n[basic]\n"),
        format!("[{SK}]\nsk = {SK}\n"),
        format!("[basic\n{SK}\n"),
        format!("[basic]\nak = AK\nsk = {SK}\nsecurity_token = {TOKEN}\n"),
    ];
    for content in contents {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, &content).unwrap();
        let env =
            Environment::from_vars([("HUAWEICLOUD_SDK_CREDENTIALS_FILE", path.to_string_lossy())]);
        match Credentials::from_profile_file(&env) {
            Ok(Some((c, source))) => {
                check_debug("Credentials", &c);
                assert!(matches!(source, CredentialSource::ProfileFile(_)));
            }
            Ok(None) => panic!("the named profile file is missing"),
            Err(e) => check_error(&format!("CredentialsError for {content:?}"), &e),
        }
    }
}
