"""Runs N tasks on a pool through the official azure-batch SDK and waits for them, printing one JSON summary.

usage: run_tasks.py <batch_url> <account> <key> <pool> <job> <count> <command_line> [timeout_seconds]

The command line may use {i} for the task's number. Tasks are added with add_collection, 100 per call (the
service's limit); completion is read from the job's task counts every 250 ms. The summary gives the seconds from the
first add to the last completion, and the final counts.
"""
import json
import sys
import time

import azure.batch.models as batchmodels
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials

url, account, key, pool, job, count, command = sys.argv[1:8]
count = int(count)
timeout = float(sys.argv[8]) if len(sys.argv) > 8 else 1800.0

client = BatchServiceClient(SharedKeyCredentials(account, key), batch_url=url)
client.job.add(batchmodels.JobAddParameter(id=job, pool_info=batchmodels.PoolInformation(pool_id=pool)))
started = time.monotonic()
for first in range(0, count, 100):
    tasks = [
        batchmodels.TaskAddParameter(id=f"t{i:05d}", command_line=command.replace("{i}", str(i)))
        for i in range(first, min(first + 100, count))
    ]
    result = client.task.add_collection(job, tasks)
    failed = [entry for entry in result.value if entry.status != batchmodels.TaskAddStatus.success]
    if failed:
        raise SystemExit(f"adding tasks failed: {failed[0].error}")
while True:
    counts = client.job.get_task_counts(job).task_counts
    if counts.completed == count:
        break
    if time.monotonic() - started > timeout:
        raise SystemExit(f"timed out: {counts}")
    time.sleep(0.25)
elapsed = time.monotonic() - started
print(json.dumps({"seconds": elapsed, "completed": counts.completed, "succeeded": counts.succeeded, "failed": counts.failed}))
