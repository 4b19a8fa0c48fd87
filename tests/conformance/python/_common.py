"""Shared plumbing for the conformance scripts driven by tests/conformance/pythonSdk.test.ts.

Every script takes the endpoint, account name and account key as its first three arguments (or from the
OPENBATCH_ENDPOINT / OPENBATCH_ACCOUNT / OPENBATCH_KEY environment variables), performs calls through the
official azure-batch SDK and prints exactly ONE JSON document on stdout. Service errors are reported as data
(`{"ok": false, "error": {...}}`), never as a crash, so the TypeScript test can assert on them; any other exception
(for instance the SDK failing to deserialize a response) is reported as `{"ok": false, "exception": {...}}`.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True

import azure.batch.models as batchmodels  # noqa: E402
from azure.batch import BatchServiceClient  # noqa: E402
from azure.batch.batch_auth import SharedKeyCredentials  # noqa: E402


def parse_args(configure=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint", nargs="?", default=os.environ.get("OPENBATCH_ENDPOINT"))
    parser.add_argument("account", nargs="?", default=os.environ.get("OPENBATCH_ACCOUNT"))
    parser.add_argument("key", nargs="?", default=os.environ.get("OPENBATCH_KEY"))
    if configure is not None:
        configure(parser)
    args = parser.parse_args()
    if not args.endpoint or not args.account or not args.key:
        parser.error("endpoint, account and key are required (argv or OPENBATCH_ENDPOINT/OPENBATCH_ACCOUNT/OPENBATCH_KEY)")
    return args


def make_client(args):
    return BatchServiceClient(SharedKeyCredentials(args.account, args.key), batch_url=args.endpoint)


def describe_batch_error(error):
    """The parts of a BatchErrorException the tests assert on."""
    body = error.error
    message = getattr(body, "message", None) if body is not None else None
    values = getattr(body, "values", None) if body is not None else None
    return {
        "code": getattr(body, "code", None) if body is not None else None,
        "statusCode": error.response.status_code if error.response is not None else None,
        "message": getattr(message, "value", None),
        "lang": getattr(message, "lang", None),
        "values": [{"key": detail.key, "value": detail.value} for detail in (values or [])],
    }


def run(action):
    """Runs `action()` (which returns a dict) and prints the single JSON result document."""
    try:
        result = {"ok": True, **action()}
    except batchmodels.BatchErrorException as error:
        result = {"ok": False, "error": describe_batch_error(error)}
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails with the details
        result = {"ok": False, "exception": {"type": type(error).__name__, "message": str(error)}}
    sys.stdout.write(json.dumps(result))
    sys.stdout.write("\n")


def collect_pages(paged):
    """Walks a msrest Paged result page by page (following odata.nextLink); returns (items, page sizes)."""
    items, sizes = [], []
    while True:
        try:
            page = paged.advance_page()
        except StopIteration:
            break
        sizes.append(len(page))
        items.extend(page)
    return items, sizes
