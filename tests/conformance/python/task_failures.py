"""Which task ends are failures for onTaskFailure (issue #14 item 5), as test_batch_tasks meets them: in a job with
performExitOptionsJobAction and no exit conditions, terminating a task that never ran leaves the job active (its
next add_collection of 733 tasks succeeds), and the task can be reactivated; a task whose process exits non-zero
does end its job (TaskFailed); reactivating a task of a completed job is 409 JobCompleted. The first job names a
pool that does not exist, so its tasks never run; the second runs on a pool of one node. Prints what it saw."""
import time

from _common import batchmodels, describe_batch_error, make_client, parse_args, run


def main():
    args = parse_args()
    client = make_client(args)

    def wait(condition, seconds=60):
        deadline = time.time() + seconds
        while not condition() and time.time() < deadline:
            time.sleep(0.25)

    def action():
        result = {}
        client.job.add(batchmodels.JobAddParameter(
            id="batch_tasks", pool_info=batchmodels.PoolInformation(pool_id="nopool"),
            on_task_failure=batchmodels.OnTaskFailure.perform_exit_options_job_action))
        client.task.add("batch_tasks", batchmodels.TaskAddParameter(id="batch_task6", command_line="/bin/true"))
        client.task.terminate("batch_tasks", "batch_task6")
        task = client.task.get("batch_tasks", "batch_task6")
        job = client.job.get("batch_tasks")
        result["terminated"] = {"task": task.state, "failure": task.execution_info.failure_info.code, "job": job.state}
        client.task.reactivate("batch_tasks", "batch_task6")
        result["reactivated"] = client.task.get("batch_tasks", "batch_task6").state
        tasks = [batchmodels.TaskAddParameter(id="mytask{}".format(i), command_line="sleep 1") for i in range(733)]
        added = client.task.add_collection("batch_tasks", tasks)
        result["collection"] = {"count": len(added.value), "succeeded": sum(1 for r in added.value if r.status == batchmodels.TaskAddStatus.success)}

        client.task.terminate("batch_tasks", "batch_task6")
        client.job.terminate("batch_tasks")
        wait(lambda: client.job.get("batch_tasks").state == "completed")
        result["jobTerminated"] = client.job.get("batch_tasks").state
        try:
            client.task.reactivate("batch_tasks", "batch_task6")
            result["reactivateInCompletedJob"] = None
        except batchmodels.BatchErrorException as error:
            described = describe_batch_error(error)
            result["reactivateInCompletedJob"] = {"code": described["code"], "status": described["statusCode"]}

        client.pool.add(batchmodels.PoolAddParameter(
            id="failpool", vm_size="standard_d2_v2", target_dedicated_nodes=1,
            virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
                image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
                node_agent_sku_id="batch.node.ubuntu 22.04")))
        client.job.add(batchmodels.JobAddParameter(
            id="batch_fails", pool_info=batchmodels.PoolInformation(pool_id="failpool"),
            on_task_failure=batchmodels.OnTaskFailure.perform_exit_options_job_action))
        client.task.add("batch_fails", batchmodels.TaskAddParameter(id="exits3", command_line="/bin/sh -c 'exit 3'"))
        wait(lambda: client.job.get("batch_fails").state == "completed")
        failed = client.job.get("batch_fails")
        result["failedRun"] = {"job": failed.state, "reason": failed.execution_info.terminate_reason, "exitCode": client.task.get("batch_fails", "exits3").execution_info.exit_code}
        return result

    run(action)


if __name__ == "__main__":
    main()
