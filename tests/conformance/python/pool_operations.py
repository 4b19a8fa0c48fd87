"""Pool and node operations through the official SDK on a live local pool: resize up and down with each
deallocation option, remove a named node, reboot, disable/enable scheduling, add a node user; node counts are
recorded after each step. Prints the observations as one JSON document."""
import time

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", required=True)
    parser.add_argument("--timeout", type=float, default=120)


args = parse_args(configure)
client = make_client(args)


def wait(what, probe):
    deadline = time.time() + args.timeout
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def settled(count):
    def probe():
        pool = client.pool.get(args.pool)
        nodes = list(client.compute_node.list(args.pool))
        if pool.allocation_state == "steady" and len(nodes) == count and all(n.state == "idle" for n in nodes):
            return nodes
        return None
    return wait(f"{count} idle nodes", probe)


def counts():
    for c in client.account.list_pool_node_counts():
        if c.pool_id == args.pool:
            return {"idle": c.dedicated.idle, "total": c.dedicated.total, "offline": c.dedicated.offline,
                    "rebooting": c.dedicated.rebooting, "leavingPool": c.dedicated.leaving_pool}
    return None


def scenario():
    steps = {}
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts")
    client.pool.add(batchmodels.PoolAddParameter(
        id=args.pool, vm_size="standard_d2s_v3", target_dedicated_nodes=3,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04"),
        start_task=batchmodels.StartTask(command_line="/bin/sh -c 'date +%s%N >> $AZ_BATCH_NODE_SHARED_DIR/boots'")))
    steps["created"] = {"nodes": len(settled(3)), "counts": counts()}

    client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=5))
    try:
        client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=6))
        steps["resizeWhileResizing"] = None
    except batchmodels.BatchErrorException as error:
        steps["resizeWhileResizing"] = error.error.code
    steps["grown"] = {"nodes": len(settled(5)), "counts": counts()}

    sizes = []
    for target, option in [(4, "requeue"), (3, "terminate"), (2, "taskcompletion"), (1, "retaineddata")]:
        client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=target, node_deallocation_option=option))
        sizes.append({"option": option, "nodes": len(settled(target)), "counts": counts()})
    steps["shrunk"] = sizes

    client.pool.resize(args.pool, batchmodels.PoolResizeParameter(target_dedicated_nodes=3))
    nodes = settled(3)
    victim = nodes[-1].id
    client.pool.remove_nodes(args.pool, batchmodels.NodeRemoveParameter(node_list=[victim]))
    remaining = settled(2)
    steps["removed"] = {"victimGone": victim not in [n.id for n in remaining], "target": client.pool.get(args.pool).target_dedicated_nodes, "counts": counts()}

    node_id = remaining[0].id
    booted_before = client.compute_node.get(args.pool, node_id).last_boot_time
    client.compute_node.reboot(args.pool, node_id)
    seen = client.compute_node.get(args.pool, node_id).state
    wait("node idle after reboot", lambda: client.compute_node.get(args.pool, node_id).state == "idle")
    boots = b"".join(client.file.get_from_compute_node(args.pool, node_id, "shared/boots")).decode().split()
    booted_after = client.compute_node.get(args.pool, node_id).last_boot_time
    steps["reboot"] = {"stateAfterCall": seen, "boots": len(boots), "bootTimeAdvanced": booted_after > booted_before}

    client.compute_node.disable_scheduling(args.pool, node_id)
    disabled = client.compute_node.get(args.pool, node_id)
    try:
        client.compute_node.disable_scheduling(args.pool, node_id)
        again = None
    except batchmodels.BatchErrorException as error:
        again = error.error.code
    offline_counts = counts()
    client.compute_node.enable_scheduling(args.pool, node_id)
    enabled = client.compute_node.get(args.pool, node_id)
    steps["scheduling"] = {"disabled": [disabled.scheduling_state, disabled.state], "again": again, "counts": offline_counts,
                           "enabled": [enabled.scheduling_state, enabled.state]}

    client.compute_node.add_user(args.pool, node_id, batchmodels.ComputeNodeUser(name="alice", is_admin=False, password="s3cret!"))
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
    steps["users"] = {"duplicate": duplicate, "missing": missing, "login": [login.remote_login_ip_address, login.remote_login_port]}

    client.pool.delete(args.pool)
    wait("pool deleted", lambda: not client.pool.exists(args.pool))
    steps["deleted"] = True
    return {"steps": steps}


run(scenario)
