"""Makes a representative set of calls through the official azure-batch SDK against a recording server.

Usage: sdk_calls.py ENDPOINT ACCOUNT KEY
The recording server answers every call with its success status; this script only has to send them. Prints
{"ok": true} or the exception.
"""
import json
import sys

sys.dont_write_bytecode = True

import azure.batch.models as m  # noqa: E402
from azure.batch import BatchServiceClient  # noqa: E402
from azure.batch.batch_auth import SharedKeyCredentials  # noqa: E402


def main():
    endpoint, account, key = sys.argv[1:4]
    client = BatchServiceClient(SharedKeyCredentials(account, key), batch_url=endpoint)
    # 1. job add
    client.job.add(m.JobAddParameter(
        id="job-x", priority=100, pool_info=m.PoolInformation(pool_id="pool-1"),
        constraints=m.JobConstraints(max_task_retry_count=2), uses_task_dependencies=True,
        metadata=[m.MetadataItem(name="owner", value="tests")]))
    # 2. task add, job id with characters to encode
    client.task.add("job/with slash", m.TaskAddParameter(
        id="t1", command_line="/bin/sh -c 'echo $HOME'", environment_settings=[m.EnvironmentSetting(name="A", value="b=c")]))
    # 3. node reboot with and 4. without an option
    client.compute_node.reboot("pool-1", "tvm-1_2", node_reboot_option="terminate")
    client.compute_node.reboot("pool-1", "tvm-1_2")
    # 5. file get with ocp-range (consume the stream)
    data = client.file.get_from_task("job-1", "task-1", "wd/sub dir/out+1(2).txt",
                                     file_get_from_task_options=m.FileGetFromTaskOptions(ocp_range="bytes=0-99"))
    for _ in data:
        pass
    # 6. certificate get
    client.certificate.get("sha1", "94C1B6F5B6DB4E3C")
    # 7. pool list with OData options (first page only)
    pools = client.pool.list(pool_list_options=m.PoolListOptions(
        filter="state eq 'active' and startswith(id,'a b')", select="id,state", expand="stats", max_results=10))
    pools.advance_page()
    # 8. conditional delete
    client.pool.delete("pool-1", pool_delete_options=m.PoolDeleteOptions(if_match="0x8DC1"))
    # 9. node file properties (HEAD)
    client.file.get_properties_from_compute_node("pool-1", "tvm-1_2", "startup/stdout.txt")
    # 10. bulk add (one request for two tasks)
    client.task.add_collection("job-1", [m.TaskAddParameter(id="b1", command_line="echo 1"), m.TaskAddParameter(id="b2", command_line="echo 2")])
    # 11. pool resize
    client.pool.resize("pool-1", m.PoolResizeParameter(target_dedicated_nodes=3, node_deallocation_option="taskcompletion"))


try:
    main()
    result = {"ok": True}
except Exception as error:  # noqa: BLE001 - reported to the test
    result = {"ok": False, "exception": {"type": type(error).__name__, "message": str(error)}}
sys.stdout.write(json.dumps(result))
sys.stdout.write("\n")
