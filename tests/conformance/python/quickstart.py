"""A quickstart-shaped workload through the official SDK: a pool, a job, task.add_collection of many tasks (the SDK
chunks it by 100), /bin/bash -c command lines, wait via task.list, read every stdout.txt with file.get_from_task,
then delete the job and the pool. Prints what it saw."""
import time

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--tasks", type=int, default=250)
    parser.add_argument("--timeout", type=float, default=240)


args = parse_args(configure)
client = make_client(args)


def scenario():
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
    client.pool.add(batchmodels.PoolAddParameter(
        id="qspool", vm_size="Standard_D2s_v3", target_dedicated_nodes=2, task_slots_per_node=4,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04")))
    client.job.add(batchmodels.JobAddParameter(id="qsjob", pool_info=batchmodels.PoolInformation(pool_id="qspool"),
                                               common_environment_settings=[batchmodels.EnvironmentSetting(name="GREETING", value="hello")]))
    tasks = [batchmodels.TaskAddParameter(id=f"task{i}", command_line=f'/bin/bash -c "echo $GREETING from $AZ_BATCH_TASK_ID on $AZ_BATCH_NODE_ID; echo {i} > out.txt"')
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
    for t in listed:
        if t.id == "failing":
            continue
        text = b"".join(client.file.get_from_task("qsjob", t.id, "stdout.txt")).decode()
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
        "wdFile": wd_file, "files": files,
        "counts": {"active": counts.task_counts.active, "running": counts.task_counts.running, "completed": counts.task_counts.completed,
                   "succeeded": counts.task_counts.succeeded, "failed": counts.task_counts.failed,
                   "completedSlots": counts.task_slot_counts.completed},
    }


run(scenario)
