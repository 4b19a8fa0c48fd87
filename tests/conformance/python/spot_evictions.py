"""Spot evictions on their own (issue #14 item 11): with the server's eviction rate on, a Spot node is preempted
without anyone calling the preempt extension and comes back with the same id, while a dedicated node of the same
pool is never preempted. Prints the states it saw of each node."""
import time

from _common import batchmodels, make_client, parse_args, run


def main():
    args = parse_args()
    client = make_client(args)

    def action():
        client.pool.add(batchmodels.PoolAddParameter(
            id="spotpool", vm_size="standard_d2_v2", target_dedicated_nodes=1, target_low_priority_nodes=1,
            virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
                image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
                node_agent_sku_id="batch.node.ubuntu 22.04")))
        seen = {}
        spot_states = []
        deadline = time.time() + 90
        while time.time() < deadline:
            for node in client.compute_node.list("spotpool"):
                kind = "dedicated" if node.is_dedicated else "spot"
                seen.setdefault(kind, {"ids": set(), "states": []})
                seen[kind]["ids"].add(node.id)
                if not seen[kind]["states"] or seen[kind]["states"][-1] != node.state:
                    seen[kind]["states"].append(node.state)
            spot_states = seen.get("spot", {}).get("states", [])
            if "preempted" in spot_states and spot_states[-1] in ("idle", "running") and "idle" in seen.get("dedicated", {}).get("states", []):
                break
            time.sleep(0.1)
        return {kind: {"ids": sorted(value["ids"]), "states": value["states"]} for kind, value in seen.items()}

    run(action)


if __name__ == "__main__":
    main()
