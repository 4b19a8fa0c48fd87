"""Nodes of a pool with inbound NAT pools (issue #14 item 4), as test_batch_network_configuration makes it: every
node lists one endpoint per NAT pool and the default SSH rule, with per-node frontend ports. Prints what it saw."""
import time

from _common import batchmodels, make_client, parse_args, run


def main():
    args = parse_args()
    client = make_client(args)

    def action():
        rule = batchmodels.NetworkSecurityGroupRule(priority=150, access=batchmodels.NetworkSecurityGroupRuleAccess.allow, source_address_prefix="*")
        network = batchmodels.NetworkConfiguration(endpoint_configuration=batchmodels.PoolEndpointConfiguration(inbound_nat_pools=[
            batchmodels.InboundNATPool(name="TestEndpointConfig", protocol=batchmodels.InboundEndpointProtocol.udp, backend_port=64444,
                                       frontend_port_range_start=60000, frontend_port_range_end=61000, network_security_group_rules=[rule]),
            batchmodels.InboundNATPool(name="web", protocol="tcp", backend_port=8080, frontend_port_range_start=40000, frontend_port_range_end=40039),
        ]))
        client.pool.add(batchmodels.PoolAddParameter(
            id="batch_endpoints", vm_size="standard_d2_v2", target_dedicated_nodes=2, network_configuration=network,
            virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
                image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
                node_agent_sku_id="batch.node.ubuntu 22.04")))
        deadline = time.time() + 60
        while client.pool.get("batch_endpoints").allocation_state != "steady" and time.time() < deadline:
            time.sleep(0.5)
        pool = client.pool.get("batch_endpoints")
        nodes = sorted(client.compute_node.list("batch_endpoints"), key=lambda node: node.endpoint_configuration.inbound_endpoints[0].frontend_port)
        return {
            "readBack": [rule.as_dict() for rule in pool.network_configuration.endpoint_configuration.inbound_nat_pools[0].network_security_group_rules],
            "nodes": [
                {"ip": node.ip_address, "endpoints": [endpoint.as_dict() for endpoint in node.endpoint_configuration.inbound_endpoints]}
                for node in nodes
            ],
        }

    run(action)


if __name__ == "__main__":
    main()
