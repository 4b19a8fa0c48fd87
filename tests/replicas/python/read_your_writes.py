"""The official Python SDK against three replicas of one deployment: what is written through one is read through
the others at once (read-your-writes across replicas), ETags taken from one replica guard writes through another,
and lists and counts agree. Arguments: the three replicas' URLs, the account name and key. Prints one JSON object.
"""
import json
import sys

import azure.batch.models as batchmodels
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials

urls, account, key = sys.argv[1:4], sys.argv[4], sys.argv[5]
a, b, c = (BatchServiceClient(SharedKeyCredentials(account, key), batch_url=url) for url in urls)
result = {}

a.job.add(batchmodels.JobAddParameter(
    id="rw-job", priority=10, pool_info=batchmodels.PoolInformation(pool_id="rw-pool"),
    metadata=[batchmodels.MetadataItem(name="written", value="through a")]))
seen = b.job.get("rw-job")
result["readThroughB"] = {"priority": seen.priority, "metadata": [(item.name, item.value) for item in seen.metadata]}

c.job.patch("rw-job", batchmodels.JobPatchParameter(priority=20),
            job_patch_options=batchmodels.JobPatchOptions(if_match=seen.e_tag))
result["priorityThroughA"] = a.job.get("rw-job").priority
try:
    a.job.patch("rw-job", batchmodels.JobPatchParameter(priority=30),
                job_patch_options=batchmodels.JobPatchOptions(if_match=seen.e_tag))
    result["staleETagThroughA"] = "accepted"
except batchmodels.BatchErrorException as error:
    result["staleETagThroughA"] = error.error.code

for start in range(0, 250, 100):
    a.task.add_collection("rw-job", [
        batchmodels.TaskAddParameter(id=f"t{i:03}", command_line="/bin/true") for i in range(start, min(start + 100, 250))])
result["listedThroughB"] = len(list(b.task.list("rw-job", task_list_options=batchmodels.TaskListOptions(max_results=100))))
result["activeCountedThroughC"] = c.job.get_task_counts("rw-job").task_counts.active

b.task.delete("rw-job", "t000")
try:
    c.task.get("rw-job", "t000")
    result["deletedThroughB_readThroughC"] = "still there"
except batchmodels.BatchErrorException as error:
    result["deletedThroughB_readThroughC"] = error.error.code
print(json.dumps(result))
