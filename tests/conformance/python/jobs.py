"""A job's life through the official SDK, without tasks: add, get, list with a state filter, patch the priority,
disable/enable, terminate with a reason, and a duplicate add refused. Prints what it saw at each step."""
from _common import batchmodels, describe_batch_error, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--job", required=True)
    parser.add_argument("--pool", default="sdkpool")


args = parse_args(configure)
client = make_client(args)


def scenario():
    steps = {}
    client.job.add(batchmodels.JobAddParameter(id=args.job, pool_info=batchmodels.PoolInformation(pool_id=args.pool)))
    job = client.job.get(args.job)
    steps["added"] = {"id": job.id, "state": job.state, "priority": job.priority, "poolId": job.execution_info.pool_id}
    listed = client.job.list(job_list_options=batchmodels.JobListOptions(filter="state eq 'active'"))
    steps["listedActive"] = any(j.id == args.job for j in listed)
    client.job.patch(args.job, batchmodels.JobPatchParameter(priority=42))
    steps["patchedPriority"] = client.job.get(args.job).priority
    client.job.disable(args.job, "requeue")
    steps["disabled"] = client.job.get(args.job).state
    client.job.enable(args.job)
    steps["enabled"] = client.job.get(args.job).state
    client.job.terminate(args.job, terminate_reason="done-by-sdk")
    ended = client.job.get(args.job)
    steps["terminated"] = {"state": ended.state, "reason": ended.execution_info.terminate_reason,
                           "previousState": ended.previous_state}
    try:
        client.job.add(batchmodels.JobAddParameter(id=args.job, pool_info=batchmodels.PoolInformation(pool_id=args.pool)))
        steps["duplicate"] = None
    except batchmodels.BatchErrorException as error:
        described = describe_batch_error(error)
        steps["duplicate"] = {"code": described["code"], "statusCode": described["statusCode"]}
    return {"steps": steps}


run(scenario)
