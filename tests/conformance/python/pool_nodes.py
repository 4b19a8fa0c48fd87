"""A pool's life through the official SDK: create a pool with a start task, wait for its nodes, read a node file,
then delete the pool and wait until it is gone. Prints what it saw at each step."""
import time

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", required=True)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--start-command", required=True)
    parser.add_argument("--wait-for-success", default="true")
    parser.add_argument("--expect", default="idle", help="node state to wait for")
    parser.add_argument("--timeout", type=float, default=90)


args = parse_args(configure)
client = make_client(args)


def wait_nodes(pool_id, predicate, timeout):
    deadline = time.time() + timeout
    while True:
        nodes = list(client.compute_node.list(pool_id))
        if predicate(nodes):
            return nodes
        if time.time() > deadline:
            raise TimeoutError("nodes did not settle: " + ", ".join(f"{n.id}={n.state}" for n in nodes))
        time.sleep(0.2)


def scenario():
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
    pool = batchmodels.PoolAddParameter(
        id=args.pool,
        vm_size="standard_d2s_v3",
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04"),
        target_dedicated_nodes=args.nodes,
        start_task=batchmodels.StartTask(command_line=args.start_command, wait_for_success=args.wait_for_success == "true"),
    )
    client.pool.add(pool)
    started = time.time()
    nodes = wait_nodes(args.pool, lambda ns: len(ns) == args.nodes and all(n.state == args.expect for n in ns), args.timeout)
    settled_seconds = time.time() - started
    steady = client.pool.get(args.pool)
    counts = [c for c in client.account.list_pool_node_counts() if c.pool_id == args.pool]
    node = nodes[0]
    stdout = b"".join(client.file.get_from_compute_node(args.pool, node.id, "startup/stdout.txt")).decode()
    props = client.file.get_properties_from_compute_node(args.pool, node.id, "startup/stdout.txt", raw=True)
    listing = [f.name for f in client.file.list_from_compute_node(args.pool, node.id, recursive=True)]
    top = [f.name for f in client.file.list_from_compute_node(args.pool, node.id, recursive=False)]
    fetched = client.compute_node.get(args.pool, node.id)
    result = {
        "nodes": [{"id": n.id, "state": n.state, "isDedicated": n.is_dedicated} for n in nodes],
        "settledSeconds": settled_seconds,
        "allocationState": steady.allocation_state,
        "currentDedicatedNodes": steady.current_dedicated_nodes,
        "counts": {"idle": counts[0].dedicated.idle, "startTaskFailed": counts[0].dedicated.start_task_failed,
                   "total": counts[0].dedicated.total} if counts else None,
        "startTaskInfo": {
            "state": fetched.start_task_info.state if fetched.start_task_info else None,
            "exitCode": fetched.start_task_info.exit_code if fetched.start_task_info else None,
            "result": fetched.start_task_info.result if fetched.start_task_info else None,
            "failureCode": fetched.start_task_info.failure_info.code if fetched.start_task_info and fetched.start_task_info.failure_info else None,
            "retryCount": fetched.start_task_info.retry_count if fetched.start_task_info else None,
        },
        "stdout": stdout,
        "stdoutLength": int(props.headers.get("Content-Length", "-1")),
        "isDirectoryHeader": props.headers.get("ocp-batch-file-isdirectory"),
        "files": listing,
        "topLevel": top,
    }
    client.pool.delete(args.pool)
    deadline = time.time() + args.timeout
    while client.pool.exists(args.pool):
        if time.time() > deadline:
            raise TimeoutError("the pool was not deleted")
        time.sleep(0.2)
    result["deletedSeconds"] = time.time() - deadline + args.timeout
    return result


run(scenario)
