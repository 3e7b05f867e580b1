//! The environment source: IdP federation (`HUAWEICLOUD_SDK_IDP_ID` +
//! `HUAWEICLOUD_SDK_ID_TOKEN_FILE`), else AK/SK ([`Credentials::from_environment`]), as
//! the official `EnvCredentialProvider` decides.

use std::sync::Arc;

use super::idp_federation::{ENV_ID_TOKEN_FILE, ENV_IDP_ID};
use super::{
    CredentialSource, Credentials, CredentialsError, IdpFederation, ProvideCredentials, Provided,
    StaticProvider, env_var,
};
use crate::endpoints::iam_endpoint;
use crate::env::Environment;

/// The environment's source, `Ok(None)` when it configures none.
pub(crate) fn detect(
    env: &Environment,
    region: Option<&str>,
) -> Result<Option<Arc<dyn ProvideCredentials>>, CredentialsError> {
    let idp_id = env_var(env, ENV_IDP_ID);
    let token_file = env_var(env, ENV_ID_TOKEN_FILE);
    if let (Some(idp_id), Some(token_file)) = (&idp_id, &token_file) {
        let iam = iam_endpoint(region, env).map_err(CredentialsError::Endpoint)?;
        let source = IdpFederation::new(
            idp_id.trim(),
            token_file,
            ENV_ID_TOKEN_FILE,
            iam,
            CredentialSource::IdpFederation {
                idp_id: idp_id.trim().to_owned(),
                profile: None,
            },
        );
        return Ok(Some(Arc::new(source)));
    }
    match Credentials::from_environment(env)? {
        Some((credentials, source)) => Ok(Some(Arc::new(StaticProvider(Provided::permanent(
            credentials,
            source,
        ))))),
        None => {
            let incomplete = |present, missing| CredentialsError::Incomplete {
                present,
                missing,
                location: "environment, IdP federation".into(),
            };
            match (idp_id, token_file) {
                (Some(_), None) => Err(incomplete(ENV_IDP_ID, ENV_ID_TOKEN_FILE)),
                (None, Some(_)) => Err(incomplete(ENV_ID_TOKEN_FILE, ENV_IDP_ID)),
                _ => Ok(None),
            }
        }
    }
}
