"""Runs INSIDE a task (tests/tasks/taskToken.test.ts): with the task's AZ_BATCH_AUTHENTICATION_TOKEN and the official
SDK's token credentials, it reads and extends its own job and tries to reach beyond it. Prints one JSON document."""
import json
import os
import sys

sys.dont_write_bytecode = True

import azure.batch.models as batchmodels  # noqa: E402
from azure.batch import BatchServiceClient  # noqa: E402
from msrest.authentication import BasicTokenAuthentication  # noqa: E402

client = BatchServiceClient(
    BasicTokenAuthentication({"access_token": os.environ["AZ_BATCH_AUTHENTICATION_TOKEN"]}),
    batch_url=os.environ["AZ_BATCH_ACCOUNT_URL"],
)
job_id = os.environ["AZ_BATCH_JOB_ID"]


def attempt(call):
    try:
        call()
        return {"ok": True}
    except batchmodels.BatchErrorException as error:
        return {"ok": False, "status": error.response.status_code, "code": error.error.code}


result = {
    "ownJob": attempt(lambda: client.job.get(job_id)),
    "addTask": attempt(lambda: client.task.add(job_id, batchmodels.TaskAddParameter(id="added-by-token", command_line="/bin/true"))),
    "otherJob": attempt(lambda: client.job.get(sys.argv[1])),
    "pools": attempt(lambda: list(client.pool.list())),
}
print(json.dumps(result))
