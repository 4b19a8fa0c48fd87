"""Work that must start without anyone adding a task, through the official SDK (issue #11). The server under test
runs its scheduling safety net only once an hour, so everything here starts on a wake-up or not at all:

- a job with only a job manager task (`killJobOnCompletion`): it must run and end the job with JMComplete;
- a job with a preparation task and a job manager: the preparation runs on the node, then the manager;
- a job with an auto pool and a job manager: the pool is made, its node comes up, the manager runs;
- a job schedule whose job has only a job manager;
- job disable (requeue) and enable: the requeued task runs again; job terminate frees the slots its tasks held
  for another job's waiting task;
- a task that depends on another starts when its parent completes;
- node scheduling disabled, then enabled again: the task waiting for a node starts.

For each it reports the states reached and how long the work took to start, from the server's own timestamps.
"""
import time
from datetime import timedelta

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", default="wakepool")
    parser.add_argument("--timeout", type=float, default=60)


args = parse_args(configure)
client = make_client(args)
image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
vm = batchmodels.VirtualMachineConfiguration(image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04")
pool_info = batchmodels.PoolInformation(pool_id=args.pool)


def wait(what, probe, timeout=None):
    deadline = time.time() + (timeout or args.timeout)
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout or args.timeout} s")
        time.sleep(0.05)


def seconds(later, earlier):
    return (later - earlier) / timedelta(seconds=1)


def job_completed(job_id):
    try:
        job = client.job.get(job_id)
    except batchmodels.BatchErrorException as error:
        # A schedule's job appears once the runner made it.
        if error.error.code == "JobNotFound":
            return None
        raise
    return job if job.state == "completed" else None


def task_in(job_id, task_id, *states):
    task = client.task.get(job_id, task_id)
    return task if task.state in states else None


def manager(task_id="jm", command="/bin/true"):
    return batchmodels.JobManagerTask(id=task_id, command_line=command, kill_job_on_completion=True)


def job_manager_only():
    client.job.add(batchmodels.JobAddParameter(id="wjm", pool_info=pool_info, job_manager_task=manager()))
    job = wait("the job manager-only job to complete", lambda: job_completed("wjm"))
    task = client.task.get("wjm", "jm")
    return {"state": job.state, "terminateReason": job.execution_info.terminate_reason, "taskState": task.state,
            "taskExitCode": task.execution_info.exit_code,
            "secondsToStart": seconds(task.execution_info.start_time, job.creation_time),
            "secondsToComplete": seconds(job.execution_info.end_time, job.creation_time)}


def preparation():
    client.job.add(batchmodels.JobAddParameter(
        id="wprep", pool_info=pool_info, job_manager_task=manager(),
        job_preparation_task=batchmodels.JobPreparationTask(command_line="/bin/true")))
    job = wait("the job with a preparation task to complete", lambda: job_completed("wprep"))
    statuses = list(client.job.list_preparation_and_release_task_status("wprep"))
    prepared = [s.job_preparation_task_execution_info for s in statuses]
    task = client.task.get("wprep", "jm")
    return {"state": job.state, "terminateReason": job.execution_info.terminate_reason,
            "preparations": [p.state for p in prepared], "preparationResults": [p.result for p in prepared],
            "secondsToStart": seconds(task.execution_info.start_time, job.creation_time)}


def auto_pool():
    spec = batchmodels.AutoPoolSpecification(
        auto_pool_id_prefix="wake", pool_lifetime_option="job", keep_alive=False,
        pool=batchmodels.PoolSpecification(vm_size="standard_d2s_v3", virtual_machine_configuration=vm, target_dedicated_nodes=1))
    client.job.add(batchmodels.JobAddParameter(id="wauto", pool_info=batchmodels.PoolInformation(auto_pool_specification=spec),
                                               job_manager_task=manager()))
    job = wait("the auto pool job to complete", lambda: job_completed("wauto"), timeout=args.timeout * 2)
    pool_id = job.execution_info.pool_id

    def pool_going():
        try:
            return client.pool.get(pool_id).state == "deleting"
        except batchmodels.BatchErrorException as error:
            return error.error.code == "PoolNotFound"

    wait("the auto pool to go", pool_going)
    task = client.task.get("wauto", "jm")
    return {"state": job.state, "terminateReason": job.execution_info.terminate_reason, "poolPrefix": pool_id.split("_")[0],
            "poolGone": True, "taskState": task.state}


def schedule():
    client.job_schedule.add(batchmodels.JobScheduleAddParameter(
        id="wsched", schedule=batchmodels.Schedule(),
        job_specification=batchmodels.JobSpecification(pool_info=pool_info, job_manager_task=manager())))
    job = wait("the schedule's job to complete", lambda: job_completed("wsched:job-1"))
    task = client.task.get("wsched:job-1", "jm")
    return {"state": job.state, "terminateReason": job.execution_info.terminate_reason,
            "secondsToStart": seconds(task.execution_info.start_time, job.creation_time)}


def disable_enable_terminate():
    client.job.add(batchmodels.JobAddParameter(id="wctl", pool_info=pool_info))
    client.task.add("wctl", batchmodels.TaskAddParameter(id="long", command_line="/bin/sleep 60"))
    wait("the long task to run", lambda: task_in("wctl", "long", "running"))
    client.job.disable("wctl", "requeue")
    requeued = wait("the long task to be requeued", lambda: task_in("wctl", "long", "active"))
    disabled = client.job.get("wctl").state
    client.job.enable("wctl")
    enabled = client.job.get("wctl")
    rerun = wait("the requeued task to run again", lambda: task_in("wctl", "long", "running"))
    # Two long tasks hold both nodes; a quick task of another job waits for a slot until they are killed.
    client.task.add("wctl", batchmodels.TaskAddParameter(id="long2", command_line="/bin/sleep 60"))
    wait("the second long task to run", lambda: task_in("wctl", "long2", "running"))
    client.job.add(batchmodels.JobAddParameter(id="wwait", pool_info=pool_info))
    client.task.add("wwait", batchmodels.TaskAddParameter(id="quick", command_line="/bin/true"))
    time.sleep(0.5)
    waiting = client.task.get("wwait", "quick").state
    client.job.terminate("wctl")
    terminated = client.job.get("wctl")
    quick = wait("the waiting task to complete once the slots were freed", lambda: task_in("wwait", "quick", "completed"))
    return {"requeued": requeued.state, "requeueCount": requeued.execution_info.requeue_count, "disabled": disabled,
            "enabled": enabled.state, "rerunState": rerun.state,
            "secondsToRerun": seconds(rerun.execution_info.start_time, enabled.last_modified),
            "waitingBeforeTerminate": waiting, "terminated": terminated.state,
            "endedTasks": sorted((t.id, t.state, t.execution_info.failure_info.code if t.execution_info.failure_info else None)
                                 for t in client.task.list("wctl")),
            "quickExitCode": quick.execution_info.exit_code,
            "secondsToStartAfterTerminate": seconds(quick.execution_info.start_time, terminated.last_modified)}


def dependencies():
    client.job.add(batchmodels.JobAddParameter(id="wdep", pool_info=pool_info, uses_task_dependencies=True))
    client.task.add_collection("wdep", [
        batchmodels.TaskAddParameter(id="parent", command_line="/bin/sleep 1"),
        batchmodels.TaskAddParameter(id="child", command_line="/bin/true",
                                     depends_on=batchmodels.TaskDependencies(task_ids=["parent"])),
    ])
    child = wait("the dependent task to complete", lambda: task_in("wdep", "child", "completed"))
    parent = client.task.get("wdep", "parent")
    return {"parent": parent.state, "child": child.state, "childExitCode": child.execution_info.exit_code,
            "secondsFromParentEndToChildStart": seconds(child.execution_info.start_time, parent.execution_info.end_time)}


def node_scheduling():
    nodes = [node.id for node in client.compute_node.list(args.pool)]
    for node_id in nodes:
        client.compute_node.disable_scheduling(args.pool, node_id)
    wait("the nodes to be offline", lambda: all(n.state == "offline" for n in client.compute_node.list(args.pool)))
    client.job.add(batchmodels.JobAddParameter(id="wnode", pool_info=pool_info))
    client.task.add("wnode", batchmodels.TaskAddParameter(id="t", command_line="/bin/true"))
    time.sleep(0.5)
    waiting = client.task.get("wnode", "t").state
    client.compute_node.enable_scheduling(args.pool, nodes[0])
    enabled = client.compute_node.get(args.pool, nodes[0])
    task = wait("the task to complete on the enabled node", lambda: task_in("wnode", "t", "completed"))
    for node_id in nodes[1:]:
        client.compute_node.enable_scheduling(args.pool, node_id)
    return {"waitingWhileDisabled": waiting, "nodeAfterEnable": enabled.scheduling_state, "task": task.state, "ranOn": task.node_info.node_id == nodes[0]}


def scenario():
    client.pool.add(batchmodels.PoolAddParameter(id=args.pool, vm_size="standard_d2s_v3", virtual_machine_configuration=vm,
                                                 target_dedicated_nodes=2))
    wait("the pool's nodes to be idle", lambda: (lambda ns: len(ns) == 2 and all(n.state == "idle" for n in ns))(list(client.compute_node.list(args.pool))),
         timeout=args.timeout * 2)
    return {
        "jobManagerOnly": job_manager_only(),
        "preparation": preparation(),
        "autoPool": auto_pool(),
        "schedule": schedule(),
        "control": disable_enable_terminate(),
        "dependencies": dependencies(),
        "nodeScheduling": node_scheduling(),
    }


run(scenario)
