//! The operations in their short form: the project comes from the client,
//! ids are checked before sending (naming the field and the rule), answers
//! come back as plain values and failures as [`Error`].
//!
//! Each method is one generated operation underneath; the generated
//! builders (`client.list_cluster_sync_task_status()...send()`) stay
//! available for full control over every parameter.

use mrs_iam_sync_rules as rules;
use progenitor_client::ClientInfo;

use crate::error::Error;
use crate::{Client, ids, types};
use mrs_iam_sync_rules::OperationId;

impl Client {
    /// The project configured for this client, or looked up at IAM by an
    /// earlier call (see [`Client::resolve_project_id`]).
    pub fn project_id(&self) -> Option<&types::ProjectId> {
        self.inner().project_id()
    }

    /// ListClusterSyncTaskStatus: whether an IAM sync task is running on the
    /// cluster now.
    pub async fn is_synchronizing(&self, cluster_id: &str) -> Result<bool, Error> {
        let cluster_id = ids::cluster_id(cluster_id)?;
        let answer = self
            .list_cluster_sync_task_status()
            .project_id(self.resolve_project_id().await?)
            .cluster_id(cluster_id)
            .send()
            .await
            .map_err(|err| {
                Error::from(err).with_success_status(OperationId::ListClusterSyncTaskStatus)
            })?;
        Ok(answer.into_inner().is_synchronizing)
    }

    /// ListClusterSyncStatus: whether the cluster has completed IAM
    /// synchronization.
    pub async fn is_synchronized(&self, cluster_id: &str) -> Result<bool, Error> {
        let cluster_id = ids::cluster_id(cluster_id)?;
        let answer = self
            .list_cluster_sync_status()
            .project_id(self.resolve_project_id().await?)
            .cluster_id(cluster_id)
            .send()
            .await
            .map_err(|err| {
                Error::from(err).with_success_status(OperationId::ListClusterSyncStatus)
            })?;
        Ok(answer.into_inner().is_synchronous)
    }

    /// ShowSyncIamUser: the users and groups synchronized to the cluster.
    pub async fn synced_principals(
        &self,
        cluster_id: &str,
    ) -> Result<types::SyncedIamPrincipals, Error> {
        let cluster_id = ids::cluster_id(cluster_id)?;
        let answer = self
            .show_sync_iam_user()
            .project_id(self.resolve_project_id().await?)
            .cluster_id(cluster_id)
            .send()
            .await
            .map_err(|err| Error::from(err).with_success_status(OperationId::ShowSyncIamUser))?;
        Ok(answer.into_inner())
    }

    /// UpdateSyncIamUser: starts synchronizing users and groups (or all of
    /// them with `is_all_sync`). Never resent once it may have reached the
    /// service; see [`crate::retry`].
    pub async fn start_sync(
        &self,
        cluster_id: &str,
        request: &types::UpdateSyncIamUserRequest,
    ) -> Result<types::SyncTaskAccepted, Error> {
        let cluster_id = ids::cluster_id(cluster_id)?;
        ids::check_body(&rules::UPDATE_SYNC_IAM_USER_REQUEST, request)?;
        let answer = self
            .update_sync_iam_user()
            .project_id(self.resolve_project_id().await?)
            .cluster_id(cluster_id)
            .body(request.clone())
            .send()
            .await
            .map_err(|err| Error::from(err).with_success_status(OperationId::UpdateSyncIamUser))?;
        Ok(answer.into_inner())
    }

    /// CancelSyncIamUser: removes synchronized users and groups (as many per
    /// call as the spec's `maxItems` allows: more are refused before
    /// sending).
    pub async fn cancel_sync(
        &self,
        cluster_id: &str,
        request: &types::CancelSyncIamUserRequest,
    ) -> Result<types::SyncTaskAccepted, Error> {
        let cluster_id = ids::cluster_id(cluster_id)?;
        ids::check_body(&rules::CANCEL_SYNC_IAM_USER_REQUEST, request)?;
        let answer = self
            .cancel_sync_iam_user()
            .project_id(self.resolve_project_id().await?)
            .cluster_id(cluster_id)
            .body(request.clone())
            .send()
            .await
            .map_err(|err| Error::from(err).with_success_status(OperationId::CancelSyncIamUser))?;
        Ok(answer.into_inner())
    }
}
