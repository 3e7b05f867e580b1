#!/usr/bin/env python3
"""Check this crate's SDK-ECDSA-P256-SHA256 and SDK-SM2-SM3 signatures with the official
Huawei Cloud SDK's `verify` (huaweicloudsdkcore 3.1.219) and write
official-verify-vectors.json. Desk-only, like make_vectors.py; tests only read the JSON.

    cargo run -p hwcloud-auth --all-features --example asymmetric_signatures > /tmp/ours.json
    /work/pysdk/bin/python crates/hwcloud-auth/tests/data/verify_our_signatures.py /tmp/ours.json

Each signature is checked with `P256SHA256Signer(creds).get_signing_key().verify(der, string
to sign)` or `SM2SM3Signer`'s; the string to sign is the official signer's own for the
request (algorithm-vectors.json). A signature the official `verify` rejects is checked again
with the SM2 Z value computed as GB/T 32918 says (public key coordinates as 32 bytes each;
the official `_za` writes them with minimal length): the known difference, recorded per
signature so that the regression test can tell it from any other rejection.
"""

import json
import os
import sys
import tempfile

# Importing the SDK writes $HOME/.huaweicloud/application_id: keep it out of the real home.
os.environ["HOME"] = tempfile.mkdtemp(prefix="hwcloud-vectors-")

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.signer import utils  # noqa: E402
from huaweicloudsdkcore.signer.signer import P256SHA256Signer, SM2SM3Signer  # noqa: E402

SIGNERS = {"ecdsa-p256-sha256": P256SHA256Signer, "sm2-sm3": SM2SM3Signer}
HERE = os.path.dirname(os.path.abspath(__file__))


def standard_za(public_key, uid=b"1234567812345678"):
    """Z as GB/T 32918.2 (and RustCrypto's sm2) compute it: every field element 32 bytes."""
    k = utils.SM2SigningKey
    data = bytearray(((len(uid) * 8) >> 8 & 0xFF, (len(uid) * 8) & 0xFF)) + uid
    for value in (k.PARAM_a, k.PARAM_b, k.PARAM_G[0], k.PARAM_G[1], *public_key):
        data += value.to_bytes(32, "big")
    return utils.new_sm3_hash(bytes(data)).digest()


def main():
    ours = json.load(open(sys.argv[1], encoding="utf-8"))["signatures"]
    official = {v["name"]: v["expected"]["string_to_sign"]
                for v in json.load(open(os.path.join(HERE, "algorithm-vectors.json"),
                                        encoding="utf-8"))["asymmetric"]}
    keys = {}
    out = []
    counts = {}
    for n, sig in enumerate(ours, 1):
        if sig["string_to_sign"] != official[sig["request"]]:
            sys.exit("%s: not the official string to sign" % sig["request"])
        cache_key = (sig["algorithm"], sig["ak"], sig["sk"])
        if cache_key not in keys:
            signer = SIGNERS[sig["algorithm"]](BasicCredentials(sig["ak"], sig["sk"]))
            keys[cache_key] = signer.get_signing_key()
        key = keys[cache_key]
        der = bytes.fromhex(sig["signature"])
        data = sig["string_to_sign"].encode("utf-8")
        accepted = bool(key.verify(der, data))
        entry = dict(request=sig["request"], algorithm=sig["algorithm"], ak=sig["ak"],
                     sk=sig["sk"], signature=sig["signature"], official_verify=accepted)
        if not accepted:
            x, y = key._public_key
            short = sig["algorithm"] == "sm2-sm3" and (x < 1 << 248 or y < 1 << 248)
            official_z = key._z
            key._z = standard_za(key._public_key)
            standard = bool(key.verify(der, data))
            key._z = official_z
            entry["sm2_official_z_drops_a_zero_byte"] = short
            entry["verify_with_standard_z"] = standard
        out.append(entry)
        tally = counts.setdefault(sig["algorithm"], [0, 0])
        tally[0] += 1
        tally[1] += accepted
        if n % 50 == 0:
            print("%d/%d checked" % (n, len(ours)), file=sys.stderr)

    rejected = [e for e in out if not e["official_verify"]]
    unexplained = [e for e in rejected
                   if not (e["sm2_official_z_drops_a_zero_byte"] and e["verify_with_standard_z"])]
    path = os.path.join(HERE, "official-verify-vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        # One signature a line: small diffs when the data is made again.
        f.write('{"checked_with": "huaweicloudsdkcore 3.1.219 verify",\n "signatures": [\n')
        f.write(",\n".join(json.dumps(e, ensure_ascii=False) for e in out))
        f.write("\n]}\n")
    for algorithm, (checked, accepted) in sorted(counts.items()):
        print("%s: %d checked, %d accepted by the official verify" % (algorithm, checked, accepted))
    pairs = sorted({(e["ak"], e["sk"]) for e in rejected})
    print("rejected: %d signatures of %d AK/SK pairs %s; unexplained: %d"
          % (len(rejected), len(pairs), [p[0] for p in pairs], len(unexplained)))
    print("wrote", path)
    if unexplained:
        sys.exit("rejections other than the short SM2 Z coordinate")


if __name__ == "__main__":
    main()
