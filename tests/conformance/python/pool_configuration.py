"""Pools as Microsoft's azure-batch tests make them (issue #14 items 1 and 2; its Ubuntu 18.04 image is one this
server no longer lists, so 22.04 stands in), through the official SDK.

Pools without target counts (directly and as a job's auto pool) are made with both targets 0; configuration
blocks are read back with the service's defaults; what the service refuses of them (ARM ids of another
subscription or in no ARM form, inbound NAT pool rules, disk, extension, security and upgrade rules) is refused
with InvalidPropertyValue naming the property. `--subscription` is the server's subscription.
"""
import copy

from _common import batchmodels, describe_batch_error, make_client, parse_args, run

SUBNET = "/subscriptions/{}/resourceGroups/test/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1"
OTHER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def configure(parser):
    parser.add_argument("--subscription", required=True)


def vm_config(**extra):
    return batchmodels.VirtualMachineConfiguration(
        image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
        node_agent_sku_id="batch.node.ubuntu 22.04",
        **extra,
    )


def pool(pool_id, **extra):
    extra.setdefault("virtual_machine_configuration", vm_config())
    return batchmodels.PoolAddParameter(id=pool_id, vm_size="standard_d2_v2", **extra)


def refusal(client, parameter):
    """The error of a pool add that must fail, or a note that it did not."""
    try:
        client.pool.add(parameter)
    except batchmodels.BatchErrorException as error:
        described = describe_batch_error(error)
        values = {detail["key"]: detail["value"] for detail in described["values"]}
        return {"code": described["code"], "status": described["statusCode"], "property": values.get("PropertyName"), "reason": values.get("Reason")}
    return {"code": None, "status": 201}


def nat_pool(name="TestEndpointConfig", backend=64444, start=60000, end=61000, rules=None):
    return batchmodels.InboundNATPool(
        name=name,
        protocol=batchmodels.InboundEndpointProtocol.udp,
        backend_port=backend,
        frontend_port_range_start=start,
        frontend_port_range_end=end,
        network_security_group_rules=rules
        if rules is not None
        else [batchmodels.NetworkSecurityGroupRule(priority=150, access=batchmodels.NetworkSecurityGroupRuleAccess.allow, source_address_prefix="*")],
    )


def with_nat_pools(pool_id, *nat_pools):
    return pool(pool_id, network_configuration=batchmodels.NetworkConfiguration(endpoint_configuration=batchmodels.PoolEndpointConfiguration(inbound_nat_pools=list(nat_pools))))


def main():
    args = parse_args(configure)
    client = make_client(args)

    def action():
        result = {}
        # Item 1: no target counts, as test_batch_create_pools makes its disk, app and encryption pools.
        data_disk = batchmodels.DataDisk(lun=1, disk_size_gb=50)
        client.pool.add(pool("batch_disk", virtual_machine_configuration=vm_config(data_disks=[data_disk]), target_node_communication_mode="classic"))
        disk_pool = client.pool.get("batch_disk")
        result["noTargets"] = {
            "dedicated": disk_pool.target_dedicated_nodes,
            "lowPriority": disk_pool.target_low_priority_nodes,
            "state": disk_pool.state,
            "dataDisk": disk_pool.virtual_machine_configuration.data_disks[0].as_dict(),
            "imageVersion": disk_pool.virtual_machine_configuration.image_reference.version,
        }
        client.pool.add(pool("batch_ade", virtual_machine_configuration=vm_config(disk_encryption_configuration=batchmodels.DiskEncryptionConfiguration(targets=["temporarydisk"]))))
        result["encryptionTargets"] = client.pool.get("batch_ade").virtual_machine_configuration.disk_encryption_configuration.targets
        extension = batchmodels.VMExtension(name="secretext", type="KeyVaultForLinux", publisher="Microsoft.Azure.KeyVault", type_handler_version="1.0", auto_upgrade_minor_version=True)
        client.pool.add(pool("batch_ext", virtual_machine_configuration=vm_config(extensions=[extension])))
        result["extension"] = client.pool.get("batch_ext").virtual_machine_configuration.extensions[0].name
        auto_pool = batchmodels.AutoPoolSpecification(
            pool_lifetime_option=batchmodels.PoolLifetimeOption.job,
            pool=batchmodels.PoolSpecification(vm_size="standard_d2_v2", virtual_machine_configuration=vm_config()),
        )
        client.job.add(batchmodels.JobAddParameter(id="batch_job1", pool_info=batchmodels.PoolInformation(auto_pool_specification=auto_pool)))
        job = client.job.get("batch_job1")
        auto = client.pool.get(job.execution_info.pool_id)
        result["autoPoolJob"] = {
            "state": job.state,
            "schedulingError": None if job.execution_info.scheduling_error is None else job.execution_info.scheduling_error.code,
            "targets": [auto.target_dedicated_nodes, auto.target_low_priority_nodes],
        }

        # Item 2: ARM ids, as test_batch_create_pools sends them, and the account's own subscription.
        network = lambda subnet: batchmodels.NetworkConfiguration(subnet_id=subnet)  # noqa: E731
        result["subnetOtherSubscription"] = refusal(client, pool("batch_network", network_configuration=network(SUBNET.format(OTHER_SUBSCRIPTION))))
        result["subnetNotArm"] = refusal(client, pool("batch_network", network_configuration=network("vnet1/subnet1")))
        client.pool.add(pool("batch_network", network_configuration=network(SUBNET.format(args.subscription))))
        network_pool = client.pool.get("batch_network")
        result["subnetAccepted"] = {"subnetId": network_pool.network_configuration.subnet_id, "scope": network_pool.network_configuration.dynamic_vnet_assignment_scope}
        image = "/subscriptions/{}/resourceGroups/test/providers/Microsoft.Compute/gallery/FakeGallery/images/FakeImage/versions/version".format(OTHER_SUBSCRIPTION)
        result["imageMalformed"] = refusal(client, pool("batch_image", virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(virtual_machine_image_id=image), node_agent_sku_id="batch.node.ubuntu 22.04")))
        gallery = "/subscriptions/{}/resourceGroups/test/providers/Microsoft.Compute/galleries/FakeGallery/images/FakeImage/versions/1.0.0"
        result["imageOtherSubscription"] = refusal(client, pool("batch_image", virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(virtual_machine_image_id=gallery.format(OTHER_SUBSCRIPTION)), node_agent_sku_id="batch.node.ubuntu 22.04")))
        client.pool.add(pool("batch_image", virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(virtual_machine_image_id=gallery.format(args.subscription)), node_agent_sku_id="batch.node.ubuntu 22.04")))
        result["imageAccepted"] = client.pool.get("batch_image").virtual_machine_configuration.image_reference.virtual_machine_image_id
        public_ips = batchmodels.PublicIPAddressConfiguration(provision="usermanaged", ip_address_ids=["10.0.0.1"])
        result["publicIpNotArm"] = refusal(client, pool("batch_ip", network_configuration=batchmodels.NetworkConfiguration(public_ip_address_configuration=public_ips)))

        # The other configuration blocks OpenBatch stores but does not act on.
        result["osDiskEncryptionOnLinux"] = refusal(client, pool("batch_bad", virtual_machine_configuration=vm_config(
            disk_encryption_configuration=batchmodels.DiskEncryptionConfiguration(targets=["osdisk", "temporarydisk"]))))
        result["duplicateLun"] = refusal(client, pool("batch_bad", virtual_machine_configuration=vm_config(data_disks=[data_disk, copy.copy(data_disk)])))
        dangling = batchmodels.VMExtension(name="second", type="t", publisher="p", provision_after_extensions=["missing"])
        result["provisionAfterUnknown"] = refusal(client, pool("batch_bad", virtual_machine_configuration=vm_config(extensions=[extension, dangling])))

        # Item 4's rules: reserved and overlapping ports, short ranges, too many NAT pools or rules.
        result["nat"] = {
            "reservedBackend": refusal(client, with_nat_pools("batch_nat", nat_pool(backend=29876))),
            "reservedFrontend": refusal(client, with_nat_pools("batch_nat", nat_pool(start=49990, end=50100))),
            "shortRange": refusal(client, with_nat_pools("batch_nat", nat_pool(start=60000, end=60010))),
            "overlap": refusal(client, with_nat_pools("batch_nat", nat_pool(), nat_pool(name="second", backend=8080, start=60500, end=60600))),
            "duplicateBackend": refusal(client, with_nat_pools("batch_nat", nat_pool(), nat_pool(name="second", start=62000, end=62100))),
            "badName": refusal(client, with_nat_pools("batch_nat", nat_pool(name="-bad"))),
            "tooManyPools": refusal(client, with_nat_pools("batch_nat", *[nat_pool(name="p{}".format(i), backend=8000 + i, start=1000 + 100 * i, end=1099 + 100 * i, rules=[]) for i in range(6)])),
            "badPrefix": refusal(client, with_nat_pools("batch_nat", nat_pool(rules=[batchmodels.NetworkSecurityGroupRule(priority=150, access="allow", source_address_prefix="300.1.1.1")]))),
            "duplicatePriority": refusal(client, with_nat_pools("batch_nat", nat_pool(rules=[
                batchmodels.NetworkSecurityGroupRule(priority=150, access="allow", source_address_prefix="10.0.0.0/24"),
                batchmodels.NetworkSecurityGroupRule(priority=150, access="deny", source_address_prefix="*"),
            ]))),
        }
        return result

    run(action)


if __name__ == "__main__":
    main()
