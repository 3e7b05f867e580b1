#!/usr/bin/env python3
"""Desk check, never run by CI: drive the loopback server with the official SDK.

Calls all five MRS IAM-sync operations with huaweicloudsdkmrs.v2.MrsClient
against a freshly started `mrs-iam-sync-server`, so the official signer and the
server's independent verifier must agree byte for byte.

Setup (any temporary venv; the import writes $HOME/.huaweicloud/application_id,
so HOME is pointed at a temporary folder below):

    python3 -m venv /tmp/sdkvenv
    /tmp/sdkvenv/bin/pip install huaweicloudsdkcore==3.1.219 huaweicloudsdkmrs==3.1.219
    cargo build -p mrs-iam-sync-server
    /tmp/sdkvenv/bin/python crates/mrs-iam-sync-server/scripts/official_sdk_smoke.py [path/to/mrs-iam-sync-server]
"""

import os
import subprocess
import sys
import tempfile
import time

os.environ["HOME"] = tempfile.mkdtemp(prefix="sdk-home-")

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException  # noqa: E402
from huaweicloudsdkmrs.v2 import (  # noqa: E402
    CancelSyncIamUserRequest,
    CancelSyncRequest,
    ListSyncRequirementsRequest,
    ListSyncStatusRequest,
    MrsClient,
    ShowSyncIamUserRequest,
    UpdateSyncIamUserRequest,
    UpdateSyncRequest,
)

AK = "SMOKETESTAK0123456789"
SK = "smoke-test-secret-key-not-a-real-one"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
CLUSTER = "6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_bin = os.path.join(here, "..", "..", "..", "target", "debug", "mrs-iam-sync-server")
    binary = sys.argv[1] if len(sys.argv) > 1 else default_bin
    server = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--ak", AK, "--sk", SK, "--cluster", CLUSTER,
         "--sync-duration", "500ms", "--quiet"],
        stdout=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline().strip()
        print("server:", first)
        endpoint = first.removeprefix("listening on ")

        def client(sk=SK):
            return (MrsClient.new_builder()
                    .with_credentials(BasicCredentials(AK, sk, PROJECT))
                    .with_endpoint(endpoint)
                    .build())

        c = client()
        print("list_sync_status       ->", c.list_sync_status(ListSyncStatusRequest(cluster_id=CLUSTER)))
        print("list_sync_requirements ->", c.list_sync_requirements(ListSyncRequirementsRequest(cluster_id=CLUSTER)))
        body = UpdateSyncRequest(is_all_sync=False, user_names=["user1", "user2"], group_names=["groups1"])
        print("update_sync_iam_user   ->", c.update_sync_iam_user(UpdateSyncIamUserRequest(cluster_id=CLUSTER, body=body)))
        print("list_sync_status       ->", c.list_sync_status(ListSyncStatusRequest(cluster_id=CLUSTER)))
        time.sleep(0.7)
        print("list_sync_status       ->", c.list_sync_status(ListSyncStatusRequest(cluster_id=CLUSTER)))
        print("list_sync_requirements ->", c.list_sync_requirements(ListSyncRequirementsRequest(cluster_id=CLUSTER)))
        print("show_sync_iam_user     ->", c.show_sync_iam_user(ShowSyncIamUserRequest(cluster_id=CLUSTER)))
        cancel = CancelSyncRequest(user_names=["user1"], group_names=["group2"])
        print("cancel_sync_iam_user   ->", c.cancel_sync_iam_user(CancelSyncIamUserRequest(cluster_id=CLUSTER, body=cancel)))
        print("show_sync_iam_user     ->", c.show_sync_iam_user(ShowSyncIamUserRequest(cluster_id=CLUSTER)))

        for label, call in [
            ("unknown cluster", lambda: c.list_sync_status(ListSyncStatusRequest(cluster_id="no-such-cluster"))),
            ("wrong SK", lambda: client("wrong-sk").list_sync_status(ListSyncStatusRequest(cluster_id=CLUSTER))),
        ]:
            try:
                call()
                print(label, "-> unexpectedly succeeded")
            except ClientRequestException as e:
                print(f"{label:22} -> status {e.status_code}, error_code {e.error_code}, "
                      f"request_id {e.request_id}, error_msg {e.error_msg}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        print("server exit code:", server.returncode)


if __name__ == "__main__":
    main()
