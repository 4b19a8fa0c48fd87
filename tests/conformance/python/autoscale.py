"""Autoscale through the official SDK on a live local pool whose server runs a fast clock (one real second is a
minute): evaluate_auto_scale's results string and syntax error, then a $PendingTasks formula that grows the pool
while tasks are queued and shrinks it when they finish. Prints the observations as one JSON document."""
import datetime
import time

from _common import batchmodels, describe_batch_error, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", required=True)
    parser.add_argument("--timeout", type=float, default=150)


args = parse_args(configure)
client = make_client(args)

FORMULA = ("// one node per pending task, at most 3\n"
           "pending = max($PendingTasks.GetSample(1));\n"
           "$TargetDedicatedNodes = min(3, pending);\n"
           "$NodeDeallocationOption = taskcompletion;")


def wait(what, probe):
    deadline = time.time() + args.timeout
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def scenario():
    steps = {}
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
    client.pool.add(batchmodels.PoolAddParameter(
        id=args.pool, vm_size="standard_d2s_v3", target_dedicated_nodes=0,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04")))
    client.pool.enable_auto_scale(args.pool, auto_scale_formula=FORMULA, auto_scale_evaluation_interval=datetime.timedelta(minutes=5))
    pool = client.pool.get(args.pool)
    steps["enabled"] = {"enableAutoScale": pool.enable_auto_scale, "interval": str(pool.auto_scale_evaluation_interval),
                        "results": pool.auto_scale_run.results, "target": pool.target_dedicated_nodes}

    run_result = client.pool.evaluate_auto_scale(args.pool, "$TargetDedicatedNodes = 2; $TargetLowPriorityNodes = 1; mid = 7 / 2")
    steps["evaluate"] = {"results": run_result.results, "hasTimestamp": run_result.timestamp is not None, "error": None if run_result.error is None else run_result.error.code}
    try:
        client.pool.evaluate_auto_scale(args.pool, "$TargetDedicatedNodes = min(3,")
        steps["syntaxError"] = None
    except batchmodels.BatchErrorException as error:
        steps["syntaxError"] = describe_batch_error(error)

    client.job.add(batchmodels.JobAddParameter(id=f"{args.pool}-job", pool_info=batchmodels.PoolInformation(pool_id=args.pool)))
    client.task.add_collection(f"{args.pool}-job", [
        batchmodels.TaskAddParameter(id=f"t{i}", command_line="/bin/sh -c 'sleep 12'") for i in range(3)])

    def grown():
        p = client.pool.get(args.pool)
        return p if p.current_dedicated_nodes == 3 and p.target_dedicated_nodes == 3 else None
    pool = wait("3 nodes", grown)
    steps["grown"] = {"target": pool.target_dedicated_nodes, "current": pool.current_dedicated_nodes, "results": pool.auto_scale_run.results}

    def finished():
        tasks = list(client.task.list(f"{args.pool}-job"))
        return tasks if all(t.state == "completed" for t in tasks) else None
    tasks = finished_tasks = wait("tasks to finish", finished)
    steps["tasks"] = sorted(t.execution_info.exit_code for t in finished_tasks)

    def shrunk():
        p = client.pool.get(args.pool)
        nodes = list(client.compute_node.list(args.pool))
        return p if p.target_dedicated_nodes == 0 and p.current_dedicated_nodes == 0 and not nodes else None
    pool = wait("the pool to shrink", shrunk)
    steps["shrunk"] = {"target": pool.target_dedicated_nodes, "current": pool.current_dedicated_nodes, "results": pool.auto_scale_run.results}

    client.pool.disable_auto_scale(args.pool)
    steps["disabled"] = client.pool.get(args.pool).enable_auto_scale
    del tasks
    return {"steps": steps}


run(scenario)
