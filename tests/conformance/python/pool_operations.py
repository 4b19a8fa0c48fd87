"""Pool and node operations through the official SDK on a live local pool, as issue #3's acceptance scenario asks:
create 3 nodes with a start task, grow to 5, shrink one node at a time to 1 with each deallocation option while
every node runs a task, remove a named node, reboot one (seen `rebooting` before `idle`), disable/enable
scheduling, add a node user, and delete the pool (seen `deleting`). After every step the account's node counts
are read together with the node list, so the test can check that they agree state by state.

Tasks wait on gate files in a temporary directory of this machine (the local provider runs the nodes here), so the
script decides when they end: nothing depends on how fast the machine is. A task that must keep a node busy while
it is rebooted or removed ignores SIGTERM, so the agent has to wait out its kill grace period before it can move on,
which keeps the node in `rebooting` (or the pool in `deleting`) long enough to be seen.

Prints the observations as one JSON document."""
import os
import shutil
import tempfile
import time

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", required=True)
    parser.add_argument("--timeout", type=float, default=120)


args = parse_args(configure)
client = make_client(args)
gates = tempfile.mkdtemp(prefix="openbatch-gates-")
job_id = f"{args.pool}-job"

# Node states on the wire are lower-case; the SDK's NodeCounts attributes are snake_case.
COUNT_ATTRIBUTE = {"waitingforstarttask": "waiting_for_start_task", "starttaskfailed": "start_task_failed",
                   "leavingpool": "leaving_pool"}


def text(value):
    """An SDK enum or string as its wire value."""
    return None if value is None else getattr(value, "value", value)


def wait(what, probe):
    deadline = time.time() + args.timeout
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def node_list():
    return list(client.compute_node.list(args.pool))


def settled(count):
    def probe():
        pool = client.pool.get(args.pool)
        nodes = node_list()
        if pool.allocation_state == "steady" and len(nodes) == count and all(n.state == "idle" for n in nodes):
            return nodes
        return None
    return wait(f"{count} idle nodes", probe)


def tally(nodes):
    """Per-state counts computed from the node list, in the NodeCounts shape (non-zero entries and total)."""
    result = {"dedicated": {"total": 0}, "lowPriority": {"total": 0}}
    for node in nodes:
        side = result["dedicated"] if node.is_dedicated is not False else result["lowPriority"]
        key = COUNT_ATTRIBUTE.get(text(node.state), text(node.state))
        side[key] = side.get(key, 0) + 1
        side["total"] += 1
    return result


def counted():
    """The account's node counts for the pool, non-zero entries and total, or None when the pool is not listed."""
    for entry in client.account.list_pool_node_counts():
        if entry.pool_id == args.pool:
            return {side: {key: getattr(counts, key) for key in batchmodels.NodeCounts._attribute_map
                           if key == "total" or getattr(counts, key)}
                    for side, counts in (("dedicated", entry.dedicated), ("lowPriority", entry.low_priority))}
    return None


def snapshot():
    """The node list and the node counts read back to back. The two reads are not one transaction, so the pair is
    taken again until the node list did not change around the counts (a stable moment to compare)."""
    for _ in range(100):
        before = [(n.id, text(n.state), n.is_dedicated) for n in node_list()]
        counts = counted()
        nodes = node_list()
        if before == [(n.id, text(n.state), n.is_dedicated) for n in nodes]:
            return {"listed": tally(nodes), "counted": counts}
        time.sleep(0.05)
    raise TimeoutError("the node list never held still")


opened_gates = set()
used_gates = set()


def gate(name):
    used_gates.add(name)
    return os.path.join(gates, name)


def open_gate(name):
    with open(gate(name), "w"):
        pass
    opened_gates.add(name)


def waiting_task(task_id, gate_name, unyielding=False):
    """A task that runs until its gate opens; a unyielding one ignores SIGTERM (its whole process group does). Each
    leaves a `<task id>.started` file first: a task is reported `running` as its run begins, before its process is
    up, and only a process that is up can make the agent wait."""
    loop = f"touch {os.path.join(gates, task_id + '.started')}; while [ ! -e {gate(gate_name)} ]; do sleep 0.1; done"
    script = f"trap '' TERM; {loop}" if unyielding else loop
    return batchmodels.TaskAddParameter(id=task_id, command_line=f'/bin/sh -c "{script}"')


def process_started(task_id):
    return wait(f"the process of {task_id}", lambda: os.path.exists(os.path.join(gates, task_id + ".started")))


def task(task_id):
    return client.task.get(job_id, task_id)


def task_view(t):
    info = t.execution_info
    failure = info.failure_info if info is not None else None
    return {
        "state": text(t.state),
        "nodeId": t.node_info.node_id if t.node_info is not None else None,
        "result": text(info.result) if info is not None else None,
        "exitCode": info.exit_code if info is not None else None,
        "retryCount": info.retry_count if info is not None else None,
        "requeueCount": info.requeue_count if info is not None else None,
        "lastRequeueTime": info.last_requeue_time is not None if info is not None else None,
        "failureInfo": None if failure is None else {"category": text(failure.category), "code": failure.code},
    }


def all_running(task_ids):
    def probe():
        tasks = [task(t) for t in task_ids]
        nodes = node_list()
        if all(t.state == "running" for t in tasks) and all(n.state == "running" for n in nodes):
            return tasks
        return None
    return wait(f"{', '.join(task_ids)} running on every node", probe)


def all_completed(task_ids):
    return wait(f"{', '.join(task_ids)} completed",
                lambda: (lambda tasks: tasks if all(t.state == "completed" for t in tasks) else None)([task(t) for t in task_ids]))


def shrink_while_busy(option, size):
    """Every node runs a task; the pool shrinks by one with `option`; the task of the node that leaves is followed."""
    ids = [f"{option}-{i}" for i in range(size)]
    client.task.add_collection(job_id, [waiting_task(t, option) for t in ids])
    running = {t.id: t.node_info.node_id for t in all_running(ids)}
    step = {"option": option, "busy": snapshot()}
    client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=size - 1, node_deallocation_option=option))

    if option in ("requeue", "terminate"):
        # The leaving node's task is killed at once: the pool settles while the other tasks still run.
        def left():
            pool = client.pool.get(args.pool)
            nodes = node_list()
            if pool.allocation_state == "steady" and len(nodes) == size - 1:
                return nodes
            return None
        remaining = {n.id for n in wait(f"the pool down to {size - 1}", left)}
        victim = next(t for t, node in running.items() if node not in remaining)
        step["victimAfterResize"] = task_view(task(victim))
        step["othersAfterResize"] = sorted({text(task(t).state) for t in ids if t != victim})
        step["afterResize"] = snapshot()
    else:
        # The leaving node drains: it stays `leavingpool`, its task keeps running and the pool keeps resizing.
        leaving = wait("a node leaving the pool", lambda: [n for n in node_list() if n.state == "leavingpool"])
        victim = next(t for t, node in running.items() if node == leaving[0].id)
        time.sleep(2)
        step["drainingNode"] = text(client.compute_node.get(args.pool, leaving[0].id).state)
        step["drainingPool"] = text(client.pool.get(args.pool).allocation_state)
        step["victimWhileDraining"] = task_view(task(victim))
        step["afterResize"] = snapshot()

    open_gate(option)
    all_completed(ids)
    step["nodesAfterCompletion"] = len(settled(size - 1))
    step["victim"] = task_view(task(victim))
    step["victimFirstNode"] = running[victim]
    others = [task_view(task(t)) for t in ids if t != victim]
    step["others"] = sorted({(view["result"], view["requeueCount"]) for view in others})
    step["settled"] = snapshot()
    return step


def scenario():
    steps = {}
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
    client.pool.add(batchmodels.PoolAddParameter(
        id=args.pool, vm_size="standard_d2s_v3", target_dedicated_nodes=3,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04"),
        start_task=batchmodels.StartTask(
            command_line="/bin/sh -c 'date +%s%N >> $AZ_BATCH_NODE_SHARED_DIR/boots; echo booted $AZ_BATCH_NODE_ID'")))
    nodes = settled(3)
    stdout = b"".join(client.file.get_from_compute_node(args.pool, nodes[0].id, "startup/stdout.txt")).decode()
    steps["created"] = {"nodes": len(nodes), "stdout": stdout, "nodeId": nodes[0].id, "snapshot": snapshot()}

    client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=5))
    try:
        client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=6))
        steps["resizeWhileResizing"] = None
    except batchmodels.BatchErrorException as error:
        steps["resizeWhileResizing"] = error.error.code
    steps["grown"] = {"nodes": len(settled(5)), "snapshot": snapshot()}

    client.job.add(batchmodels.JobAddParameter(id=job_id, pool_info=batchmodels.PoolInformation(pool_id=args.pool)))
    steps["shrunk"] = [shrink_while_busy(option, size)
                       for option, size in [("requeue", 5), ("terminate", 4), ("taskcompletion", 3), ("retaineddata", 2)]]

    client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=3))
    nodes = settled(3)
    victim = nodes[-1].id
    client.pool.remove_nodes(args.pool, batchmodels.NodeRemoveParameter(node_list=[victim]))
    remaining = settled(2)
    steps["removed"] = {"victimGone": victim not in [n.id for n in remaining], "target": client.pool.get(args.pool).target_dedicated_nodes,
                        "snapshot": snapshot()}

    # Reboot a node while a unyielding task runs there: the node cannot restart before that process ends, which is
    # when its gate opens (or the agent's SIGKILL after its grace period), so it is `rebooting` on the first read and
    # for the snapshot after the call; then the gate opens and the node goes on.
    client.task.add(job_id, waiting_task("unyielding", "reboot", unyielding=True))
    node_id = wait("the unyielding task running", lambda: (lambda t: t.node_info.node_id if t.state == "running" else None)(task("unyielding")))
    process_started("unyielding")
    booted_before = client.compute_node.get(args.pool, node_id).last_boot_time
    client.compute_node.reboot(args.pool, node_id)
    rebooted_at = time.time()
    seen = [text(client.compute_node.get(args.pool, node_id).state)]
    during = snapshot()
    timings = {"snapshotTaken": time.time() - rebooted_at}
    requeued = task_view(task("unyielding"))
    open_gate("reboot")
    deadline = time.time() + args.timeout
    while seen[-1] != "idle":
        state = text(client.compute_node.get(args.pool, node_id).state)
        if state != seen[-1]:
            seen.append(state)
            timings.setdefault(state, time.time() - rebooted_at)
        if time.time() > deadline:
            raise TimeoutError(f"the node never settled after its reboot: {seen}")
        time.sleep(0.05)
    all_completed(["unyielding"])
    settled(2)
    boots = b"".join(client.file.get_from_compute_node(args.pool, node_id, "shared/boots")).decode().split()
    booted_after = client.compute_node.get(args.pool, node_id).last_boot_time
    steps["reboot"] = {"states": seen, "seconds": {k: round(v, 2) for k, v in timings.items()}, "during": during, "taskDuringReboot": requeued, "task": task_view(task("unyielding")),
                       "boots": len(boots), "bootTimeAdvanced": booted_after > booted_before, "after": snapshot()}

    client.compute_node.disable_scheduling(args.pool, node_id)
    disabled = client.compute_node.get(args.pool, node_id)
    try:
        client.compute_node.disable_scheduling(args.pool, node_id)
        again = None
    except batchmodels.BatchErrorException as error:
        again = error.error.code
    offline = snapshot()
    client.compute_node.enable_scheduling(args.pool, node_id)
    enabled = client.compute_node.get(args.pool, node_id)
    steps["scheduling"] = {"disabled": [text(disabled.scheduling_state), text(disabled.state)], "again": again, "snapshot": offline,
                           "enabled": [text(enabled.scheduling_state), text(enabled.state)], "after": snapshot()}

    client.compute_node.add_user(args.pool, node_id, batchmodels.ComputeNodeUser(name="alice", is_admin=False, password="s3cret!"))
    added = snapshot()
    try:
        client.compute_node.add_user(args.pool, node_id, batchmodels.ComputeNodeUser(name="alice"))
        duplicate = None
    except batchmodels.BatchErrorException as error:
        duplicate = error.error.code
    client.compute_node.update_user(args.pool, node_id, "alice", batchmodels.NodeUpdateUserParameter(ssh_public_key="ssh-rsa AAAAB3Nza alice"))
    login = client.compute_node.get_remote_login_settings(args.pool, node_id)
    client.compute_node.delete_user(args.pool, node_id, "alice")
    try:
        client.compute_node.delete_user(args.pool, node_id, "alice")
        missing = None
    except batchmodels.BatchErrorException as error:
        missing = error.error.code
    steps["users"] = {"duplicate": duplicate, "missing": missing, "login": [login.remote_login_ip_address, login.remote_login_port],
                      "snapshot": added}

    # Delete while a unyielding task keeps a node busy: the pool is seen `deleting`, its nodes leaving, for seconds.
    client.task.add(job_id, waiting_task("last", "never", unyielding=True))
    wait("the last task running", lambda: task("last").state == "running")
    process_started("last")
    client.pool.delete(args.pool)
    pool = client.pool.get(args.pool)
    deleting = {"state": text(pool.state), "snapshot": snapshot()}
    try:
        client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=1))
        deleting["resize"] = None
    except batchmodels.BatchErrorException as error:
        deleting["resize"] = error.error.code
    wait("pool deleted", lambda: not client.pool.exists(args.pool))
    deleting["gone"] = True
    deleting["lastTask"] = task_view(task("last"))
    steps["deleted"] = deleting
    return {"steps": steps}


try:
    run(scenario)
finally:
    # Tasks still waiting (the scenario failed, or a task was requeued onto no pool) must see their gate open
    # before it is removed: unyielding ones ignore the agent's SIGTERM and would otherwise wait forever.
    for name in used_gates - opened_gates:
        open_gate(name)
    time.sleep(0.5)
    shutil.rmtree(gates, ignore_errors=True)
