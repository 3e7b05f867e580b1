#!/usr/bin/env python3
"""Produce signing-vectors.json with the official Huawei Cloud SDK signer.

This is the recipe for the committed test data. It is run by hand, at a desk;
tests and CI only read the JSON it writes and never need Python.

    python3 -m venv /tmp/hw && /tmp/hw/bin/pip install huaweicloudsdkcore==3.1.219
    /tmp/hw/bin/python crates/hwcloud-auth/tests/data/make_vectors.py

The oracle is `huaweicloudsdkcore.auth.credentials.BasicCredentials.sign_request`
(which adds X-Project-Id / X-Security-Token like the SDK does) and, below it,
`huaweicloudsdkcore.signer.signer.Signer`. Every request pins `X-Sdk-Date`, so
the output is reproducible. The canonical request and string to sign are
captured by wrapping two of the signer's methods; nothing else is changed.

How a vector's URL becomes an SdkRequest (the official signer works on the
decoded query parameters the SDK holds, never on a URL): `host` is the URL's
netloc, `resource_path` its raw (still percent-encoded) path, and the query is
split on '&' (empty pieces skipped), each piece on its first '=', each side
decoded with `urllib.parse.unquote` (RFC 3986: '+' is a literal plus, invalid
UTF-8 becomes U+FFFD). hwcloud-auth reads a wire URI exactly the same way.

Known places where a `http::HeaderMap` cannot express what a Python dict can
(and so no vector covers them): two header names differing only in case, and
a `Content-Type` key spelled in another case (the SDK only looks at the exact
key "Content-Type" when it decides on UNSIGNED-PAYLOAD; hwcloud-auth matches
any case).
"""

import json
import os
import sys
import tempfile
from urllib.parse import unquote, urlsplit

# Importing the SDK writes $HOME/.huaweicloud/application_id: keep it out of the real home.
os.environ["HOME"] = tempfile.mkdtemp(prefix="hwcloud-vectors-")

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer import signer as signer_module  # noqa: E402

Signer = signer_module.Signer
_captured = {}
_orig_cr = Signer._process_canonical_request
_orig_sts = Signer._process_string_to_sign


def _capture_cr(self, request, signed_headers):
    out = _orig_cr(self, request, signed_headers)
    _captured["canonical_request"] = out
    _captured["signed_headers"] = ";".join(signed_headers)
    return out


def _capture_sts(self, canonical_request, t):
    out = _orig_sts(self, canonical_request, t)
    _captured["string_to_sign"] = out
    return out


Signer._process_canonical_request = _capture_cr
Signer._process_string_to_sign = _capture_sts

AK, SK = "AKEXAMPLE", "SKEXAMPLE"
MRS = "https://mrs.cn-north-4.myhuaweicloud.com"
DATE = "20240102T030405Z"
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
CLUSTER = "c1d2e3f4-0000-4a4a-9b9b-123456789abc"
JSON_GET = [["Content-Type", "application/json"]]
JSON_BODY = [["Content-Type", "application/json;charset=utf-8"]]
UPDATE_BODY = '{"is_all_sync":false,"group_names":["groups1"],"user_names":["user1","user2"]}'
CANCEL_BODY = '{"user_names":["user1","user2"],"group_names":["group1"]}'


def mrs(path, project=PROJECT, cluster=CLUSTER, host=MRS):
    return host + "/v2/" + project + "/clusters/" + cluster + path


def case(name, method, url, headers, body="", ak=AK, sk=SK, date=DATE, security_token=None,
         project_id=None, published=None):
    return dict(name=name, method=method, url=url, headers=headers + [["X-Sdk-Date", date]],
                body=body, ak=ak, sk=sk, security_token=security_token, project_id=project_id,
                published=published)


def xp(project=PROJECT):
    return [["X-Project-Id", project]]


CASES = [
    # --- the two published examples of signing.md ---
    case("published-signing-guide-vpcs", "GET",
         "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
         "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
         [["Content-Type", "application/json"]], ak="QTWAOYTTINDUT2QVKYUC",
         sk="MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", date="20191115T033655Z",
         published="7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"),
    case("published-mrs-list-sync-status", "GET",
         MRS + "/v2/proj123/clusters/cid-1/iam-sync", [["Content-Type", "application/json"]],
         date="20240102T030405Z",
         published="ed01d7acc0e910891881326c1782859509ac364498d69efaaa729b834aedaa02"),

    # --- every MRS IAM-sync operation, with the headers the official MrsClient sends ---
    case("mrs-ListClusterSyncTaskStatus", "GET", mrs("/iam-sync"), JSON_GET + xp()),
    case("mrs-ListClusterSyncStatus", "GET", mrs("/iam-sync/is-synchronous"), JSON_GET + xp()),
    case("mrs-ShowSyncIamUser", "GET", mrs("/iam-sync-user"), JSON_GET + xp()),
    case("mrs-UpdateSyncIamUser", "POST", mrs("/iam-sync-user"), JSON_BODY + xp(), UPDATE_BODY),
    case("mrs-UpdateSyncIamUser-all", "POST", mrs("/iam-sync-user"), JSON_BODY + xp(),
         '{"is_all_sync":true}'),
    case("mrs-UpdateSyncIamUser-empty-object", "POST", mrs("/iam-sync-user"), JSON_BODY + xp(), "{}"),
    case("mrs-CancelSyncIamUser", "DELETE", mrs("/iam-sync-user"), JSON_BODY + xp(), CANCEL_BODY),
    case("mrs-CancelSyncIamUser-groups-only", "DELETE", mrs("/iam-sync-user"), JSON_BODY + xp(),
         '{"group_names":["group1","group2"]}'),
    case("mrs-project-id-from-credentials", "GET", mrs("/iam-sync"), JSON_GET, project_id=PROJECT),
    case("mrs-temporary-credentials-get", "GET", mrs("/iam-sync"), JSON_GET,
         ak="TMPAKEXAMPLE", sk="TMPSKEXAMPLE", project_id=PROJECT,
         security_token="gQpjbi1ub3J0aC00hZ0jE-EXAMPLE-SECURITY-TOKEN/+=="),
    case("mrs-temporary-credentials-post", "POST", mrs("/iam-sync-user"), JSON_BODY,
         UPDATE_BODY, ak="TMPAKEXAMPLE", sk="TMPSKEXAMPLE", project_id=PROJECT,
         security_token="gQpjbi1ub3J0aC00hZ0jE-EXAMPLE-SECURITY-TOKEN/+=="),
    case("mrs-temporary-credentials-delete", "DELETE", mrs("/iam-sync-user"), JSON_BODY,
         CANCEL_BODY, ak="TMPAKEXAMPLE", sk="TMPSKEXAMPLE",
         security_token="another-token"),
    case("mrs-cluster-id-underscore-dash", "GET", mrs("/iam-sync", cluster="my_cluster-01"),
         JSON_GET + xp()),
    case("mrs-region-cn-domain", "GET",
         mrs("/iam-sync", host="https://mrs.ap-southeast-1.myhuaweicloud.cn"), JSON_GET + xp()),
    case("mrs-region-eu-domain", "POST",
         mrs("/iam-sync-user", host="https://mrs.eu-west-101.myhuaweicloud.eu"),
         JSON_BODY + xp(), UPDATE_BODY),
    case("mrs-unicode-names-body", "POST", mrs("/iam-sync-user"), JSON_BODY + xp(),
         '{"user_names":["用户1","zoë"],"group_names":["grüppe"]}'),

    # --- canonical URI ---
    case("path-space", "GET", "https://example.com/v1/a%20b/c", []),
    case("path-plus", "GET", "https://example.com/v1/a+b/c+", []),
    case("path-percent-literal", "GET", "https://example.com/v1/100%25/x", []),
    case("path-tilde-trailing-slash", "GET", "https://example.com/v1/~user/", []),
    case("path-colon-at", "GET", "https://example.com/v1/a:b@c/d", []),
    case("path-reserved-subdelims", "GET", "https://example.com/v1/a!b$c&d'e(f)g*h,i;j=k", []),
    case("path-unicode", "GET", "https://example.com/v1/%E4%BD%A0%E5%A5%BD/caf%C3%A9", []),
    case("path-already-encoded-lowercase-hex", "GET", "https://example.com/v1/a%2db%7e%41", []),
    case("path-encoded-slash-splits", "GET", "https://example.com/v1/a%2Fb/c", []),
    case("path-invalid-utf8", "GET", "https://example.com/v1/%FF%FEx", []),
    case("path-invalid-percent-escape", "GET", "https://example.com/v1/a%zz/b%", []),
    case("path-root", "GET", "https://example.com/", []),
    case("path-no-path", "GET", "https://example.com", []),
    case("path-double-slashes", "GET", "https://example.com//v1//a//", []),

    # --- canonical query ---
    case("query-sorted", "GET", "https://example.com/v1/x?marker=m&limit=10&a=1", []),
    case("query-repeated-key", "GET", "https://example.com/v1/x?tag=b&tag=a&tag=c&id=2", []),
    case("query-empty-value", "GET", "https://example.com/v1/x?flag=&x=1", []),
    case("query-no-equals", "GET", "https://example.com/v1/x?flag&x=1", []),
    case("query-empty-pieces", "GET", "https://example.com/v1/x?a=1&&b=2&", []),
    case("query-empty-key", "GET", "https://example.com/v1/x?=v&a=1", []),
    case("query-encoding", "GET",
         "https://example.com/v1/x?q=a%20b&p=a+b&r=%2B%25&t=~._-&u=a%2Fb&v=a/b&w=%7e", []),
    case("query-equals-in-value", "GET", "https://example.com/v1/x?expr=a%3Db&raw=x=y", []),
    case("query-unicode", "GET", "https://example.com/v1/x?%E5%90%8D=%E5%80%BC&name=caf%C3%A9", []),
    case("query-sort-by-codepoint", "GET", "https://example.com/v1/x?b=1&B=2&_=3&%C3%A9=4&a=5", []),
    case("query-only-question-mark", "GET", "https://example.com/v1/x?", []),

    # --- host ---
    case("host-with-port", "GET", "https://example.com:8443/v1/x", JSON_GET),
    case("host-ip-and-port-http", "GET", "http://127.0.0.1:8080/v1/x", JSON_GET),
    case("host-ipv6", "GET", "https://[::1]:8443/v1/x", JSON_GET),
    case("host-explicit-header-kept", "GET", "https://10.0.0.1/v1/x",
         JSON_GET + [["Host", "mrs.cn-north-4.myhuaweicloud.com"]]),

    # --- headers ---
    case("header-outer-and-inner-whitespace", "GET", "https://example.com/v1/x",
         [["X-Custom", "   a  b \t c   "], ["X-Tabs", "\tx\t"]]),
    case("header-empty-value", "GET", "https://example.com/v1/x", [["X-Empty", ""]]),
    case("header-underscore-not-signed", "GET", "https://example.com/v1/x",
         JSON_GET + [["X_Custom_Header", "v"], ["x_project_id", PROJECT], ["X-Fine", "1"]]),
    case("header-mixed-case-names", "GET", "https://example.com/v1/x",
         [["content-TYPE", "application/json"], ["X-MiXeD-CaSe", "Value"], ["x-project-ID", PROJECT]]),
    case("header-utf8-value", "GET", "https://example.com/v1/x", [["X-Name", "café 名"]]),
    case("header-many", "GET", "https://example.com/v1/x",
         JSON_GET + [["Accept", "application/json"], ["User-Agent", "hwcloud-auth-test/1.0"],
                     ["X-Language", "en-us"], ["X-Request-Id", "r-1"], ["Zz-Last", "z"],
                     ["A-First", "a"]]),

    # --- payload hash ---
    case("body-json-post", "POST", "https://example.com/v1/items", JSON_BODY, '{"a":1,"b":[true,null]}'),
    case("body-json-delete", "DELETE", "https://example.com/v1/items/1", JSON_BODY, '{"force":true}'),
    case("body-put", "PUT", "https://example.com/v1/items/1", [["Content-Type", "application/json"]],
         '{"name":"x"}'),
    case("body-large", "POST", "https://example.com/v1/items", JSON_BODY,
         json.dumps({"user_names": ["user%d" % i for i in range(200)]}, separators=(",", ":"))),
    case("unsigned-payload-header", "POST", "https://example.com/v1/upload",
         JSON_BODY + [["X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"]], '{"big":"body"}'),
    case("unsigned-payload-header-empty-body", "GET", "https://example.com/v1/x",
         [["X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"]]),
    case("non-json-content-type-adds-unsigned-payload", "POST", "https://example.com/v1/upload",
         [["Content-Type", "application/octet-stream"]], "raw bytes"),
    case("non-json-content-type-empty-body", "GET", "https://example.com/v1/x",
         [["Content-Type", "text/plain"]]),
    case("bson-content-type-is-signed", "POST", "https://example.com/v1/x",
         [["Content-Type", "application/bson"]], "bson-ish"),

    # --- methods, dates, keys ---
    case("method-lowercase-extension", "patch", "https://example.com/v1/items/1", JSON_BODY, '{"a":2}'),
    case("method-head", "HEAD", "https://example.com/v1/items", []),
    case("date-end-of-year", "GET", mrs("/iam-sync"), JSON_GET, date="20231231T235959Z"),
    case("date-leap-day", "GET", mrs("/iam-sync"), JSON_GET, date="20240229T120000Z"),
    case("sk-non-ascii", "GET", mrs("/iam-sync"), JSON_GET, sk="sk-ключ-é"),
    case("sk-long", "GET", mrs("/iam-sync"), JSON_GET, sk="S" * 100),
]


def run(c):
    parts = urlsplit(c["url"])
    query_params = []
    for piece in parts.query.split("&"):
        if piece == "":
            continue
        k, _, v = piece.partition("=")
        query_params.append((unquote(k), unquote(v)))
    header_params = {}
    for name, value in c["headers"]:
        header_params[name] = value
    req = SdkRequest(method=c["method"], schema=parts.scheme, host=parts.netloc,
                     resource_path=parts.path or "/", query_params=query_params,
                     header_params=header_params, body=c["body"])
    creds = BasicCredentials(c["ak"], c["sk"], c["project_id"])
    if c["security_token"] is not None:
        creds = creds.with_security_token(c["security_token"])
    _captured.clear()
    req = creds.sign_request(req)
    auth = req.header_params["Authorization"]
    signature = auth.rsplit("Signature=", 1)[1]
    if c["published"] is not None and signature != c["published"]:
        sys.exit("%s: official signer gives %s, published %s" % (c["name"], signature, c["published"]))
    added = sorted({k.lower() for k in req.header_params} - {n.lower() for n, _ in c["headers"]})
    out = dict(name=c["name"], method=c["method"], url=c["url"], headers=c["headers"], body=c["body"],
               ak=c["ak"], sk=c["sk"])
    if c["security_token"] is not None:
        out["security_token"] = c["security_token"]
    if c["project_id"] is not None:
        out["project_id"] = c["project_id"]
    out["expected"] = dict(canonical_request=_captured["canonical_request"],
                           string_to_sign=_captured["string_to_sign"],
                           signed_headers=_captured["signed_headers"],
                           signature=signature, authorization=auth, added_headers=added)
    return out


def main():
    vectors = [run(c) for c in CASES]
    names = [v["name"] for v in vectors]
    assert len(names) == len(set(names)), "duplicate vector names"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "signing-vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), path))


if __name__ == "__main__":
    main()
