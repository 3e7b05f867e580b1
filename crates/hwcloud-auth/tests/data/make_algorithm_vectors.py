#!/usr/bin/env python3
"""Produce algorithm-vectors.json with the official Huawei Cloud SDK signers.

Desk-only, like make_vectors.py (whose request set and recipe this reuses); tests
and CI only read the JSON.

    /tmp/hw/bin/python crates/hwcloud-auth/tests/data/make_algorithm_vectors.py

Writes:
* "derived_keys": the private keys `_derive_key` gives for several AK/SK pairs, for
  SDK-ECDSA-P256-SHA256 (P256SHA256Signer) and SDK-SM2-SM3 (SM2SM3Signer), as hex,
  with the SM2 public key and whether the official Z value drops a leading zero byte
  of one of its coordinates (it writes them with minimal length; GB/T 32918 and the
  RustCrypto sm2 crate use 32 bytes);
* "hmac_sm3": every request of signing-vectors.json signed with SM3Signer;
* "asymmetric": the MRS requests signed with P256SHA256Signer and SM2SM3Signer (random
  nonces, so each run differs), each with tampered copies of its signature that a
  verifier must reject. Every official signature is checked here with the SDK's own
  `verify` before it is written.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_vectors  # noqa: E402  (sets HOME before importing the SDK)

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm  # noqa: E402
from huaweicloudsdkcore.signer.signer import P256SHA256Signer, SM2SM3Signer  # noqa: E402

KEY_PAIRS = [
    ("AKEXAMPLE", "SKEXAMPLE"),
    ("QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"),
    ("TMPAKEXAMPLE", "TMPSKEXAMPLE"),
    ("HPUAXNM5XGGR3DX5FLJE", "kR9dHcWX0pJ8P2bQqzN4YmL1vTe6uAs7oFgC3iBx"),
    ("AK", "S" * 100),
    ("AKEXAMPLE", "sk-ключ-é"),
    ("a", "b"),
]


def with_algorithm(algorithm):
    class Request(SdkRequest):
        def __init__(self, *args, **kwargs):
            kwargs["signing_algorithm"] = algorithm
            super().__init__(*args, **kwargs)
    make_vectors.SdkRequest = Request


def signer_for(cls, ak, sk):
    return cls(BasicCredentials(ak, sk))


def sm2_public_key_short(ak, sk):
    key = signer_for(SM2SM3Signer, ak, sk).get_signing_key()
    x, y = key._public_key
    return "%064x%064x" % (x, y), x < 1 << 248 or y < 1 << 248


def derived_keys():
    pairs = list(KEY_PAIRS)
    # One pair whose SM2 public key has a coordinate with a leading zero byte.
    n = 0
    while True:
        ak = "AKZ%05d" % n
        if sm2_public_key_short(ak, "SKZERO")[1]:
            pairs.append((ak, "SKZERO"))
            break
        n += 1
    out = []
    for ak, sk in pairs:
        public, short = sm2_public_key_short(ak, sk)
        out.append(dict(
            ak=ak, sk=sk,
            ecdsa_p256_sha256="%064x" % signer_for(P256SHA256Signer, ak, sk)._derive_key(),
            sm2_sm3="%064x" % signer_for(SM2SM3Signer, ak, sk)._derive_key(),
            sm2_public_key=public,
            sm2_official_z_drops_a_zero_byte=short))
    return out


def tampered(signature_hex):
    der = bytearray.fromhex(signature_hex)
    flipped = bytearray(der)
    flipped[len(der) // 2] ^= 0x01  # a bit of r or s
    truncated = der[:-1]
    return [flipped.hex(), truncated.hex(), "00" + signature_hex[2:]]


def official_verify(cls, ak, sk, string_to_sign, signature_hex):
    key = signer_for(cls, ak, sk).get_signing_key()
    return key.verify(bytes.fromhex(signature_hex), string_to_sign.encode("utf-8"))


def main():
    out = dict(derived_keys=derived_keys())

    with_algorithm(SigningAlgorithm.HMAC_SM3)
    out["hmac_sm3"] = [make_vectors.run(dict(c, published=None)) for c in make_vectors.CASES]

    asymmetric = []
    mrs_cases = [c for c in make_vectors.CASES if c["name"].startswith("mrs-")]
    for algorithm, cls in [(SigningAlgorithm.ECDSA_P256_SHA256, P256SHA256Signer),
                           (SigningAlgorithm.SM2_SM3, SM2SM3Signer)]:
        with_algorithm(algorithm)
        for c in mrs_cases:
            v = make_vectors.run(dict(c, published=None))
            e = v["expected"]
            if not official_verify(cls, v["ak"], v["sk"], e["string_to_sign"], e["signature"]):
                sys.exit("%s: the official verify rejects the official signature" % v["name"])
            e["tampered_signatures"] = tampered(e["signature"])
            v["name"] = "%s-%s" % (cls.__name__, v["name"])
            asymmetric.append(v)
    out["asymmetric"] = asymmetric

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "algorithm-vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d derived keys, %d HMAC-SM3 and %d ECDSA/SM2 vectors to %s"
          % (len(out["derived_keys"]), len(out["hmac_sm3"]), len(asymmetric), path))


if __name__ == "__main__":
    main()
