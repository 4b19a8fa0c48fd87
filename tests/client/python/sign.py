"""Signs requests with azure-batch's own SharedKeyAuth (batch_auth.py), without any network.

Reads a JSON document from stdin: {"account": NAME, "key": BASE64, "requests": [{"method", "url", "headers", "body"}]}
and prints one JSON array: for each request, {"authorization": header, "url": prepared URL}.
`body` is a UTF-8 string or null. The requests are prepared by `requests` exactly as the SDK's session would.
"""
import json
import sys

sys.dont_write_bytecode = True

import requests  # noqa: E402
from azure.batch.batch_auth import SharedKeyAuth  # noqa: E402

document = json.load(sys.stdin)
auth = SharedKeyAuth("Authorization", document["account"], document["key"])
out = []
for case in document["requests"]:
    body = case.get("body")
    prepared = requests.Request(
        case["method"], case["url"], headers=case["headers"], data=body.encode("utf-8") if body is not None else None
    ).prepare()
    auth(prepared)
    out.append({"authorization": prepared.headers["Authorization"], "url": prepared.url})
sys.stdout.write(json.dumps(out))
sys.stdout.write("\n")
