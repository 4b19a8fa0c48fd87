"""Job schedules through the official SDK on a simulated clock (tests/conformance/pythonSchedules.test.ts).

The server's clock only moves when this script asks: it prints {"advance": <ms>} and waits for a line on stdin
saying the clock moved. The last line it prints is the usual single result document. Prints what it saw at each step;
the TypeScript test asserts on it.
"""
import datetime
import json
import sys
import time

from _common import batchmodels, describe_batch_error, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--start", required=True, help="the server clock's time now, ISO-8601")
    parser.add_argument("--pool", default="sdkschedpool")


args = parse_args(configure)
client = make_client(args)
start = datetime.datetime.fromisoformat(args.start.replace("Z", "+00:00"))
MINUTE = 60_000


def advance(ms):
    sys.stdout.write(json.dumps({"advance": ms}) + "\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "ok":
        raise RuntimeError("the test did not move the clock")


def wait_until(what, probe, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.05)


def jobs_of(schedule_id):
    jobs = list(client.job.list_from_job_schedule(schedule_id))
    return sorted(([job.id, job.state.value if hasattr(job.state, "value") else job.state] for job in jobs),
                  key=lambda pair: int(pair[0].rsplit("-", 1)[1]))


def wait_for_jobs(schedule_id, count):
    return wait_until("%d jobs of %s" % (count, schedule_id), lambda: (lambda jobs: jobs if len(jobs) == count else None)(jobs_of(schedule_id)))


def state_of(schedule_id):
    state = client.job_schedule.get(schedule_id).state
    return state.value if hasattr(state, "value") else state


def spec():
    return batchmodels.JobSpecification(pool_info=batchmodels.PoolInformation(pool_id=args.pool))


def scenario():
    seen = {}
    # A recurring schedule: a job every minute, only one active at a time, nothing after doNotRunAfter.
    client.job_schedule.add(batchmodels.JobScheduleAddParameter(
        id="pyrec",
        schedule=batchmodels.Schedule(recurrence_interval=datetime.timedelta(minutes=1),
                                      do_not_run_after=start + datetime.timedelta(minutes=3, seconds=30)),
        job_specification=spec()))
    # A probe whose jobs end at once makes a job every minute: once its job for a minute exists, the runner's pass
    # for that minute has also looked at "pyrec" (schedules are advanced in id order, and "pyrec" < "zprobe").
    client.job_schedule.add(batchmodels.JobScheduleAddParameter(
        id="zprobe", schedule=batchmodels.Schedule(recurrence_interval=datetime.timedelta(minutes=1)),
        job_specification=batchmodels.JobSpecification(pool_info=batchmodels.PoolInformation(pool_id=args.pool),
                                                       on_all_tasks_complete="terminateJob")))
    steps = [wait_for_jobs("pyrec", 1)]
    wait_for_jobs("zprobe", 1)
    for minute in range(1, 4):
        advance(MINUTE)
        # The next job is due, but the previous one is still active: nothing new until it ends.
        wait_for_jobs("zprobe", minute + 1)
        steps.append(jobs_of("pyrec"))
        client.job.terminate("pyrec:job-%d" % minute)
        steps.append(wait_for_jobs("pyrec", minute + 1))
    client.job.terminate("pyrec:job-4")
    client.job_schedule.terminate("zprobe")
    advance(MINUTE)
    wait_until("pyrec completed", lambda: state_of("pyrec") == "completed")
    seen["recurring"] = {"steps": steps, "final": jobs_of("pyrec"),
                         "recentJob": client.job_schedule.get("pyrec").execution_info.recent_job.id}

    # A single run whose start window passes unused: no job, and the schedule completes.
    now = start + datetime.timedelta(minutes=4)
    client.job_schedule.add(batchmodels.JobScheduleAddParameter(
        id="pywin",
        schedule=batchmodels.Schedule(do_not_run_until=now + datetime.timedelta(minutes=1),
                                      start_window=datetime.timedelta(minutes=1)),
        job_specification=spec()))
    before_window = state_of("pywin")
    advance(3 * MINUTE)
    wait_until("pywin completed", lambda: state_of("pywin") == "completed")
    seen["window"] = {"before": before_window, "jobs": jobs_of("pywin")}

    # Disable, enable, terminate, delete.
    client.job_schedule.add(batchmodels.JobScheduleAddParameter(id="pyctl", schedule=batchmodels.Schedule(), job_specification=spec()))
    wait_for_jobs("pyctl", 1)
    try:
        client.job_schedule.add(batchmodels.JobScheduleAddParameter(id="PYCTL", schedule=batchmodels.Schedule(), job_specification=spec()))
        seen["duplicate"] = None
    except batchmodels.BatchErrorException as error:
        seen["duplicate"] = describe_batch_error(error)["code"]
    client.job_schedule.disable("pyctl")
    disabled = state_of("pyctl")
    client.job_schedule.enable("pyctl")
    enabled = state_of("pyctl")
    client.job_schedule.terminate("pyctl")
    terminated = state_of("pyctl")
    job = client.job.get("pyctl:job-1")
    listed = [s.id for s in client.job_schedule.list(
        job_schedule_list_options=batchmodels.JobScheduleListOptions(filter="state eq 'completed'"))]
    client.job_schedule.delete("pyctl")
    try:
        client.job.get("pyctl:job-1")
        job_after_delete = "still there"
    except batchmodels.BatchErrorException as error:
        job_after_delete = describe_batch_error(error)["code"]
    seen["control"] = {
        "disabled": disabled, "enabled": enabled, "terminated": terminated,
        "jobState": job.state.value if hasattr(job.state, "value") else job.state,
        "terminateReason": job.execution_info.terminate_reason,
        "listedCompleted": sorted(listed),
        "existsAfterDelete": client.job_schedule.exists("pyctl"),
        "jobAfterDelete": job_after_delete,
    }
    return seen


run(scenario)
