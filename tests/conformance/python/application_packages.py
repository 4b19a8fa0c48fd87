"""Application packages through azure-batch, after the test uploaded `hello` 1.0 and 2.0 (default 2.0) through the
admin endpoint: list and get the application, add a pool that references a version and see the reference on it,
have a pool with a missing reference refused, and run a task with its own reference (no version: the default) on
the ready pool `--pool` whose command line runs the package through $AZ_BATCH_APP_PACKAGE_hello.

Usage: application_packages.py ENDPOINT ACCOUNT KEY --pool POOL --job JOB
Prints {"ok", "listed", "got", "poolReferences", "missing", "task"} or {"ok": false, ...}.
"""
import time

from _common import batchmodels, collect_pages, describe_batch_error, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", required=True)
    parser.add_argument("--job", required=True)


args = parse_args(configure)
client = make_client(args)
image = batchmodels.VirtualMachineConfiguration(
    image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
    node_agent_sku_id="batch.node.ubuntu 22.04",
)


def pool(pool_id, references):
    return batchmodels.PoolAddParameter(id=pool_id, vm_size="Standard_D2s_v3", virtual_machine_configuration=image,
                                        target_dedicated_nodes=0, application_package_references=references)


def scenario():
    applications, _ = collect_pages(client.application.list())
    listed = {app.id: app.versions for app in applications if app.id == "hello"}
    got = client.application.get("hello")

    client.pool.add(pool("sdk-app-pool", [batchmodels.ApplicationPackageReference(application_id="hello", version="1.0")]))
    references = client.pool.get("sdk-app-pool").application_package_references
    try:
        client.pool.add(pool("sdk-missing-pool", [batchmodels.ApplicationPackageReference(application_id="no-such-app")]))
        missing = None
    except batchmodels.BatchErrorException as error:
        described = describe_batch_error(error)
        missing = {"code": described["code"], "statusCode": described["statusCode"]}

    client.job.add(batchmodels.JobAddParameter(id=args.job, pool_info=batchmodels.PoolInformation(pool_id=args.pool)))
    client.task.add(args.job, batchmodels.TaskAddParameter(
        id="sdk-app-task",
        command_line="/bin/sh -c '\"$AZ_BATCH_APP_PACKAGE_hello/bin/hello.sh\" sdk'",
        application_package_references=[batchmodels.ApplicationPackageReference(application_id="hello")],
    ))
    deadline = time.monotonic() + 60
    task = client.task.get(args.job, "sdk-app-task")
    while task.state != batchmodels.TaskState.completed and time.monotonic() < deadline:
        time.sleep(0.2)
        task = client.task.get(args.job, "sdk-app-task")
    stdout = b"".join(client.file.get_from_task(args.job, "sdk-app-task", "stdout.txt")).decode("utf-8")
    return {
        "listed": listed,
        "got": {"id": got.id, "displayName": got.display_name, "versions": got.versions},
        "poolReferences": [{"applicationId": r.application_id, "version": r.version} for r in references],
        "missing": missing,
        "task": {"state": task.state.value if hasattr(task.state, "value") else task.state,
                 "exitCode": task.execution_info.exit_code, "stdout": stdout},
    }


run(scenario)
