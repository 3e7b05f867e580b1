#!/usr/bin/env python3
"""Time per signature of the official Python signers (desk-only), for the
`cargo xtask bench` table: the same GET as benches/sign.rs, re-signed.

    /tmp/hw/bin/python crates/hwcloud-auth/tests/data/signer_time.py
"""

import os
import tempfile
import timeit

os.environ["HOME"] = tempfile.mkdtemp(prefix="hwcloud-timing-")

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm  # noqa: E402

AK, SK = "QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
PATH = "/v2/%s/clusters/c1d2e3f4-0000-4a4a-9b9b-123456789abc/iam-sync" % PROJECT


def one(algorithm, creds):
    req = SdkRequest(method="GET", schema="https", host="mrs.cn-north-4.myhuaweicloud.com",
                     resource_path=PATH, query_params=[],
                     header_params={"Content-Type": "application/json", "X-Project-Id": PROJECT,
                                    "X-Sdk-Date": "20240102T030405Z"},
                     body="", signing_algorithm=algorithm)
    creds.sign_request(req)


for name, algorithm, number in [("hmac-sha256", SigningAlgorithm.HMAC_SHA256, 20000),
                                ("hmac-sm3", SigningAlgorithm.HMAC_SM3, 20000),
                                ("ecdsa-p256-sha256", SigningAlgorithm.ECDSA_P256_SHA256, 100),
                                ("sm2-sm3", SigningAlgorithm.SM2_SM3, 100)]:
    creds = BasicCredentials(AK, SK)
    best = min(timeit.repeat(lambda: one(algorithm, creds), number=number, repeat=3)) / number
    print("%-18s %10.1f µs per signature" % (name, best * 1e6))
