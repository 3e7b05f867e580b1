#!/usr/bin/env python3
"""Desk check, never run by CI: the credential requests of the official SDK and of
`mrs-iam-sync` side by side.

A small recording HTTP server stands in for the metadata service, IAM, STS and the pod
identity agent (canned answers in the official shapes). The official providers of
huaweicloudsdkcore 3.1.219 are pointed at it (environment variables; for metadata,
`MetadataAccessor._METADATA_ENDPOINT` is patched), then `mrs-iam-sync credentials --json`
with the same variables (and HUAWEICLOUD_SDK_METADATA_ENDPOINT). For each source the
script prints both request lists (method, path, query, the headers that matter, body as
JSON) and whether they agree, then every byte-level difference of each pair of requests
(raw body, any other header; the date, length, host and signature excepted). Exits 1 when
a shape differs.

    cargo build -p mrs-iam-sync-cli
    /work/pysdk/bin/python crates/mrs-iam-sync-server/scripts/official_credential_shapes.py [path/to/mrs-iam-sync]
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ["HOME"] = tempfile.mkdtemp(prefix="sdk-home-")

from huaweicloudsdkcore.auth import internal  # noqa: E402
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.auth.provider import (  # noqa: E402
    EnvCredentialProvider,
    MetadataCredentialProvider,
    OidcStsCredentialProvider,
    PodIdentityCredentialProvider,
)
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler  # noqa: E402
from huaweicloudsdkcore.http.http_client import HttpClient  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkcore.http.http_handler import HttpHandler  # noqa: E402
import logging  # noqa: E402

PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
KEYS = {"access": "TMPAK", "secret": "TMPSK", "securitytoken": "TMPST",
        "expires_at": "2099-01-02T03:04:05.000000Z"}
# Headers whose presence and value are part of the shape; the rest (user agent,
# connection, accept, date, signature) differ by client and are not compared.
SHAPE_HEADERS = ["content-type", "x-metadata-token-ttl-seconds", "x-metadata-token",
                 "x-idp-id", "authorization", "x-security-token", "x-project-id"]

RECORDED = []


class Recorder(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        RECORDED.append({
            "method": self.command, "path": path, "query": query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode() if body else "",
        })
        headers = {"Content-Type": "application/json"}
        if path == "/meta-data/latest/api/token":
            status, answer = 200, "metadata-session-token"
        elif path == "/openstack/latest/securitykey":
            status, answer = 200, json.dumps({"credential": KEYS})
        elif path == "/v3.0/OS-AUTH/id-token/tokens":
            status, answer = 201, json.dumps({"token": {}})
            headers["X-Subject-Token"] = "unscoped-token"
        elif path == "/v3.0/OS-CREDENTIAL/securitytokens":
            status, answer = 201, json.dumps({"credential": KEYS})
        elif path == "/v5/agencies/assume-with-oidc":
            status, answer = 200, json.dumps({"credentials": {
                "access_key_id": "TMPAK", "secret_access_key": "TMPSK",
                "security_token": "TMPST", "expiration": KEYS["expires_at"]}})
        elif path == "/pod/credentials":
            status, answer = 200, json.dumps(KEYS)
        elif path == "/v3/projects":
            status, answer = 200, json.dumps({"projects": [{"id": PROJECT, "name": "cn-north-4"}]})
            headers["X-IAM-Trace-Id"] = "trace-1"
        else:
            status, answer = 404, "{}"
        data = answer.encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = _answer


def shape(request):
    headers = {h: request["headers"][h] for h in SHAPE_HEADERS if h in request["headers"]}
    if "authorization" in headers and headers["authorization"].startswith("SDK-HMAC-SHA256"):
        access = headers["authorization"].split("Access=")[1].split(",")[0]
        headers["authorization"] = "SDK-HMAC-SHA256 Access=" + access + ", ..."
    if "content-type" in headers:
        headers["content-type"] = headers["content-type"].lower().replace(" ", "")
    body = request["body"]
    try:
        body = json.loads(body) if body else ""
    except ValueError:
        pass
    return {"method": request["method"], "path": request["path"], "query": request["query"],
            "headers": headers, "body": body}


def byte_differences(official, rust):
    """What differs on the wire between two requests of the same shape: the raw body
    bytes and the set of header names with values (shape headers are compared above)."""
    out = []
    if official["body"] != rust["body"]:
        out.append("body bytes: official %r, rust %r" % (official["body"], rust["body"]))
    ignored = {"host", "content-length", "x-sdk-date"}
    names = sorted((set(official["headers"]) | set(rust["headers"])) - ignored)
    for name in names:
        o, r = official["headers"].get(name), rust["headers"].get(name)
        if name == "authorization" and o and r and o.startswith("SDK-"):
            o, r = o.split("Signature=")[0], r.split("Signature=")[0]
        if o != r:
            out.append("%s: official %r, rust %r" % (name, o, r))
    return out


def run_official(source, url, token_file):
    env = {}
    # The official project id cache is keyed by AK + region and every source here hands
    # out the same AK: without this only the first source would look its project up.
    BasicCredentials._CACHE.clear()
    if source == "metadata":
        internal.MetadataAccessor._METADATA_ENDPOINT = url
        creds = MetadataCredentialProvider.get_basic().get_credentials()
    elif source == "pod-identity":
        env = {"HC_CONTAINER_CREDENTIALS_FULL_URI": url + "/pod/credentials",
               "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file}
        os.environ.update(env)
        creds = PodIdentityCredentialProvider.get_basic().get_credentials()
    elif source == "oidc-sts":
        env = {"HUAWEICLOUD_OIDC_PROVIDER_URN": "urn:provider", "HUAWEICLOUD_OIDC_AGENCY_URN": "urn:agency",
               "HUAWEICLOUD_OIDC_TOKEN_FILE": token_file, "HUAWEICLOUD_SDK_STS_ENDPOINT": url}
        os.environ.update(env)
        creds = OidcStsCredentialProvider.get_basic().get_credentials()
    elif source == "idp-federation":
        env = {"HUAWEICLOUD_SDK_IDP_ID": "my-idp", "HUAWEICLOUD_SDK_ID_TOKEN_FILE": token_file,
               "HUAWEICLOUD_SDK_IAM_ENDPOINT": url}
        os.environ.update(env)
        creds = EnvCredentialProvider.get_basic().get_credentials()
    # The project id lookup (and the lazy STS/IAM calls of OIDC and IdP) happen here.
    os.environ["HUAWEICLOUD_SDK_IAM_ENDPOINT"] = url
    config = HttpConfig.get_default_config()
    client = HttpClient(config, HttpHandler(), DefaultExceptionHandler(),
                        logging.getLogger("official"))
    creds.process_auth_params(client, "cn-north-4")
    for key in env:
        os.environ.pop(key, None)
    os.environ.pop("HUAWEICLOUD_SDK_IAM_ENDPOINT", None)
    return env


def run_rust(binary, source, url, token_file, env):
    child_env = {"HOME": os.environ["HOME"], "PATH": os.environ.get("PATH", ""),
                 "HUAWEICLOUD_SDK_IAM_ENDPOINT": url,
                 "HUAWEICLOUD_SDK_METADATA_ENDPOINT": url if source == "metadata" else "http://127.0.0.1:9"}
    child_env.update(env)
    out = subprocess.run([binary, "--region", "cn-north-4", "--endpoint", "http://127.0.0.1:9",
                          "credentials", "--json"], env=child_env, capture_output=True, text=True)
    if out.returncode != 0:
        print("  mrs-iam-sync failed:", out.stderr.strip())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "..", "target", "debug", "mrs-iam-sync")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % server.server_address[1]
    token_file = os.path.join(os.environ["HOME"], "token")
    with open(token_file, "w") as f:
        f.write("an-id-token\n")
    all_agree = True
    for source in ["metadata", "pod-identity", "oidc-sts", "idp-federation"]:
        RECORDED.clear()
        env = run_official(source, url, token_file)
        official_raw = list(RECORDED)
        official = [shape(r) for r in official_raw]
        RECORDED.clear()
        run_rust(binary, source, url, token_file, env)
        rust_raw = list(RECORDED)
        rust = [shape(r) for r in rust_raw]
        agree = official == rust
        all_agree &= agree
        print("== %s: %s" % (source, "same requests" if agree else "DIFFERENT"))
        for o, r in zip(official + [None] * len(rust), rust + [None] * len(official)):
            if o is None and r is None:
                break
            print("  official:", json.dumps(o, sort_keys=True))
            if o != r:
                print("  rust:    ", json.dumps(r, sort_keys=True))
        for o, r in zip(official_raw, rust_raw):
            for difference in byte_differences(o, r):
                print("    %s %s: %s" % (o["method"], o["path"], difference))
    server.shutdown()
    sys.exit(0 if all_agree else 1)


if __name__ == "__main__":
    main()
