"""A quickstart-shaped workload through the official SDK: a pool, a job, task.add_collection of many tasks (the SDK
chunks it by 100), /bin/bash -c command lines, wait via task.list, read every stdout.txt with file.get_from_task,
then delete the job and the pool. Prints what it saw.

With --input-url (a blob SAS URL) and --output-url (a container SAS URL with write permission), every task also gets
the input blob as a resource file (input.txt, printed by the command) and uploads out.txt to results/<id>.txt on
success and its stdout.txt to stdout/<id>.txt on completion, as the Azure Batch Python quickstart does with files."""
import time

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--tasks", type=int, default=250)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--input-url")
    parser.add_argument("--output-url")


args = parse_args(configure)
client = make_client(args)


def scenario():
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
    client.pool.add(batchmodels.PoolAddParameter(
        id="qspool", vm_size="Standard_D2s_v3", target_dedicated_nodes=2, task_slots_per_node=4,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04")))
    client.job.add(batchmodels.JobAddParameter(id="qsjob", pool_info=batchmodels.PoolInformation(pool_id="qspool"),
                                               common_environment_settings=[batchmodels.EnvironmentSetting(name="GREETING", value="hello")]))
    with_files = args.input_url is not None and args.output_url is not None

    def files_of(task_id):
        if not with_files:
            return {}
        destination = lambda path: batchmodels.OutputFileDestination(  # noqa: E731
            container=batchmodels.OutputFileBlobContainerDestination(container_url=args.output_url, path=path))
        return {
            "resource_files": [batchmodels.ResourceFile(http_url=args.input_url, file_path="input.txt")],
            "output_files": [
                batchmodels.OutputFile(file_pattern="out.txt", destination=destination(f"results/{task_id}.txt"),
                                       upload_options=batchmodels.OutputFileUploadOptions(upload_condition=batchmodels.OutputFileUploadCondition.task_success)),
                batchmodels.OutputFile(file_pattern="../stdout.txt", destination=destination(f"stdout/{task_id}.txt"),
                                       upload_options=batchmodels.OutputFileUploadOptions(upload_condition=batchmodels.OutputFileUploadCondition.task_completion)),
            ],
        }

    command = "echo $GREETING from $AZ_BATCH_TASK_ID on $AZ_BATCH_NODE_ID; " + ("cat input.txt; " if with_files else "")
    tasks = [batchmodels.TaskAddParameter(id=f"task{i}", command_line=f'/bin/bash -c "{command}echo {i} > out.txt"', **files_of(f"task{i}"))
             for i in range(args.tasks)]
    tasks.append(batchmodels.TaskAddParameter(id="failing", command_line="/bin/sh -c 'exit 3'",
                                              constraints=batchmodels.TaskConstraints(max_task_retry_count=2)))
    added = client.task.add_collection("qsjob", tasks)
    statuses = sorted({r.status for r in added.value})
    started = time.time()
    deadline = started + args.timeout
    while True:
        listed = list(client.task.list("qsjob"))
        if len(listed) == len(tasks) and all(t.state == "completed" for t in listed):
            break
        if time.time() > deadline:
            raise TimeoutError(f"tasks not complete: {sum(1 for t in listed if t.state == 'completed')}/{len(listed)}")
        time.sleep(0.2)
    elapsed = time.time() - started
    stdouts_ok = 0
    stdouts = {}
    for t in listed:
        if t.id == "failing":
            continue
        text = b"".join(client.file.get_from_task("qsjob", t.id, "stdout.txt")).decode()
        stdouts[t.id] = text
        if text.startswith(f"hello from {t.id} on tvm-"):
            stdouts_ok += 1
    failing = client.task.get("qsjob", "failing")
    wd_file = b"".join(client.file.get_from_task("qsjob", "task7", "wd/out.txt")).decode().strip()
    files = sorted(f.name for f in client.file.list_from_task("qsjob", "task7", recursive=True))
    counts = client.job.get_task_counts("qsjob")
    ok_results = sum(1 for t in listed if t.execution_info.result == "success")
    client.job.delete("qsjob")
    client.pool.delete("qspool")
    return {
        "added": len(added.value), "statuses": statuses, "elapsed": elapsed, "stdoutsOk": stdouts_ok,
        "succeeded": ok_results,
        "failing": {"state": failing.state, "exitCode": failing.execution_info.exit_code, "retryCount": failing.execution_info.retry_count,
                    "result": failing.execution_info.result, "failureCode": failing.execution_info.failure_info.code if failing.execution_info.failure_info else None},
        "wdFile": wd_file, "files": files, "stdouts": stdouts if with_files else {},
        "counts": {"active": counts.task_counts.active, "running": counts.task_counts.running, "completed": counts.task_counts.completed,
                   "succeeded": counts.task_counts.succeeded, "failed": counts.task_counts.failed,
                   "completedSlots": counts.task_slot_counts.completed},
    }


run(scenario)
