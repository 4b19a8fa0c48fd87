/**
 * Runs a few lines of Python against a test server through the official azure-batch SDK: `client` (a
 * BatchServiceClient signed with the account's key) and `batchmodels` are in scope, and the snippet's last act
 * must be `emit(value)`, which prints `value` as the one JSON document the test parses.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

const preamble = `
import json, sys
import azure.batch.models as batchmodels
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
client = BatchServiceClient(SharedKeyCredentials(sys.argv[2], sys.argv[3]), batch_url=sys.argv[1])
def emit(value):
    print(json.dumps(value, default=str))
`;

export async function pythonSnippet(url: string, account: { readonly name: string; readonly key: string }, code: string): Promise<any> {
  const { stdout } = await run("/usr/bin/python3", ["-c", `${preamble}\n${code}`, url, account.name, account.key], { timeout: 120_000 });
  return JSON.parse(stdout);
}
