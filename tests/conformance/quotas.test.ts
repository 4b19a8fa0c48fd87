/**
 * Account quotas through the official SDKs (issue #14 item 8; docs/quotas.md): dedicated and Spot core quotas stop
 * an allocation short with the resize errors Azure gives, the pool quota refuses a pool (409 PoolQuotaReached) and
 * fails a job's or a job schedule's auto pool (AutoPoolCreationFailedWithQuotaReached), the quota of active jobs and
 * job schedules refuses a job or a schedule (409 ActiveJobAndScheduleQuotaReached) until one completes — each
 * configurable for every account and per account.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchServiceClient, BatchSharedKeyCredentials } from "@azure/batch";
import { pythonSnippet } from "../support/pythonSnippet.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";
import { waitFor } from "../support/waitFor.js";

const alpha = testAccounts.alpha;
const beta = testAccounts.beta;

/** Python helpers: a pool of D2s_v3 (2 cores) nodes, and an SDK error as data. */
const helpers = `
def pool(pool_id, dedicated=0, low_priority=0):
    return batchmodels.PoolAddParameter(id=pool_id, vm_size="Standard_D2s_v3", target_dedicated_nodes=dedicated, target_low_priority_nodes=low_priority,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
            node_agent_sku_id="batch.node.ubuntu 22.04"))
def refused(call):
    try:
        call()
    except batchmodels.BatchErrorException as error:
        return {"status": error.response.status_code, "code": error.error.code, "message": error.error.message.value,
                "values": [{"key": v.key, "value": v.value} for v in (error.error.values or [])]}
    return None
def pool_view(pool_id):
    p = client.pool.get(pool_id)
    return {"allocationState": p.allocation_state, "dedicated": p.current_dedicated_nodes, "lowPriority": p.current_low_priority_nodes,
            "errors": [{"code": e.code, "message": e.message, "values": {v.name: v.value for v in (e.values or [])}} for e in (p.resize_errors or [])]}
`;

interface Refusal {
  status: number;
  code: string;
  message: string;
  values: { key: string; value: string }[];
}
interface PoolView {
  allocationState: string;
  dedicated: number;
  lowPriority: number;
  errors: { code: string; message: string; values: Record<string, string> }[];
}

describe("account quotas through the official SDKs", () => {
  let server: TestServer;
  const python = (account: { name: string; key: string }, code: string) => pythonSnippet(server.url, account, `${helpers}\n${code}`);

  before(async () => {
    server = await startTestServer({
      agentHeartbeatIntervalInSeconds: 1,
      quotas: { dedicatedCores: 4, lowPriorityCores: 2, pools: 2, activeJobsAndSchedules: 2 },
      accountQuotas: { [beta.name]: { pools: 1 } },
    });
  });
  after(() => server.dispose());

  it("allocates a pool up to the dedicated and Spot core quotas and says why it stopped short", async () => {
    await python(alpha, `client.pool.add(pool("big", dedicated=5, low_priority=3)); emit(True)`);
    const big: PoolView = await waitFor("the pool to settle short of its targets", async () => {
      const view: PoolView = await python(alpha, `emit(pool_view("big"))`);
      return view.allocationState === "steady" ? view : undefined;
    }, 120_000, 500);
    // 4 dedicated cores: two 2-core nodes; 2 Spot cores: one.
    assert.deepEqual({ dedicated: big.dedicated, lowPriority: big.lowPriority }, { dedicated: 2, lowPriority: 1 });
    assert.deepEqual(big.errors.map((error) => error.code).sort(), ["AccountCoreQuotaReached", "AccountLowPriorityCoreQuotaReached"]);
    const dedicated = big.errors.find((error) => error.code === "AccountCoreQuotaReached");
    assert.deepEqual(dedicated?.values, { CoreQuota: "4", VmSize: "Standard_D2s_v3" });
    assert.match(dedicated?.message ?? "", /core quota/);

    // The quota is the account's: another pool gets nothing while the first holds it.
    await python(alpha, `client.pool.add(pool("second", dedicated=1)); emit(True)`);
    const second: PoolView = await waitFor("the second pool's allocation to stop", async () => {
      const view: PoolView = await python(alpha, `emit(pool_view("second"))`);
      return view.errors.length > 0 ? view : undefined;
    }, 60_000, 200);
    assert.equal(second.dedicated, 0);
    assert.deepEqual(second.errors.map((error) => error.code), ["AccountCoreQuotaReached"]);
  });

  it("refuses a pool beyond the pool quota, and fails a job's and a schedule's auto pool there with the service's scheduling error", async () => {
    const refusal: Refusal = await python(alpha, `emit(refused(lambda: client.pool.add(pool("third"))))`);
    assert.deepEqual({ status: refusal.status, code: refusal.code }, { status: 409, code: "PoolQuotaReached" });
    assert.match(refusal.message, /^Pool quota for the account has been reached\./);
    assert.deepEqual(refusal.values.find((value) => value.key === "PoolQuota"), { key: "PoolQuota", value: "2" });
    const job: { state: string; error: { code: string; category: string } } = await python(alpha, `
client.job.add(batchmodels.JobAddParameter(id="autojob", pool_info=batchmodels.PoolInformation(auto_pool_specification=batchmodels.AutoPoolSpecification(
    pool_lifetime_option="job", pool=batchmodels.PoolSpecification(vm_size="Standard_D2s_v3", target_dedicated_nodes=1,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
            node_agent_sku_id="batch.node.ubuntu 22.04"))))))
job = client.job.get("autojob")
emit({"state": job.state, "error": {"code": job.execution_info.scheduling_error.code, "category": job.execution_info.scheduling_error.category}})`);
    assert.deepEqual(job, { state: "completed", error: { code: "AutoPoolCreationFailedWithQuotaReached", category: "usererror" } });

    // A job schedule's auto pool meets the same quota when the schedule makes its job; the schedule is then ended, so
    // that it does not count as active below.
    await python(alpha, `
client.job_schedule.add(batchmodels.JobScheduleAddParameter(id="autosched", schedule=batchmodels.Schedule(recurrence_interval="PT1H"),
    job_specification=batchmodels.JobSpecification(pool_info=batchmodels.PoolInformation(auto_pool_specification=batchmodels.AutoPoolSpecification(
        pool_lifetime_option="job", pool=batchmodels.PoolSpecification(vm_size="Standard_D2s_v3", target_dedicated_nodes=1,
            virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
                image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
                node_agent_sku_id="batch.node.ubuntu 22.04")))))))
emit(True)`);
    const scheduled: { state: string; error: { code: string; category: string } } = await waitFor("the schedule's job to fail on the pool quota", async () => {
      const found: { state: string; error: { code: string; category: string } } | null = await python(alpha, `
jobs = [j for j in client.job.list() if j.id.startswith("autosched:")]
j = jobs[0] if jobs else None
emit(None if j is None or j.state != "completed" else {"state": j.state, "error": {"code": j.execution_info.scheduling_error.code, "category": j.execution_info.scheduling_error.category}})`);
      return found ?? undefined;
    }, 60_000, 200);
    assert.deepEqual(scheduled, { state: "completed", error: { code: "AutoPoolCreationFailedWithQuotaReached", category: "usererror" } });
    await python(alpha, `client.job_schedule.terminate("autosched"); emit(True)`);

    // The JavaScript SDK sees the same refusal.
    const client = new BatchServiceClient(new BatchSharedKeyCredentials(alpha.name, alpha.key), server.url);
    await assert.rejects(
      client.pool.add({ id: "fourth", vmSize: "Standard_D2s_v3", targetDedicatedNodes: 0, virtualMachineConfiguration: { imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" }, nodeAgentSKUId: "batch.node.ubuntu 22.04" } }),
      (error: { code?: string; statusCode?: number }) => {
        assert.deepEqual({ code: error.code, statusCode: error.statusCode }, { code: "PoolQuotaReached", statusCode: 409 });
        return true;
      },
    );
  });

  it("configures quotas per account: another account has its own pool quota", async () => {
    const result: { first: null; second: Refusal } = await python(beta, `emit({"first": client.pool.add(pool("only")), "second": refused(lambda: client.pool.add(pool("other")))})`);
    assert.equal(result.second.code, "PoolQuotaReached");
    assert.deepEqual(result.second.values.find((value) => value.key === "PoolQuota"), { key: "PoolQuota", value: "1" });
  });

  it("refuses jobs and job schedules beyond the active quota until one completes", async () => {
    const result: { job: Refusal; schedule: Refusal; afterTerminate: null } = await python(alpha, `
client.job.add(batchmodels.JobAddParameter(id="one", pool_info=batchmodels.PoolInformation(pool_id="big")))
client.job_schedule.add(batchmodels.JobScheduleAddParameter(id="sched", schedule=batchmodels.Schedule(recurrence_interval="PT1H"),
    job_specification=batchmodels.JobSpecification(pool_info=batchmodels.PoolInformation(pool_id="big"))))
job = refused(lambda: client.job.add(batchmodels.JobAddParameter(id="two", pool_info=batchmodels.PoolInformation(pool_id="big"))))
schedule = refused(lambda: client.job_schedule.add(batchmodels.JobScheduleAddParameter(id="sched2", schedule=batchmodels.Schedule(recurrence_interval="PT1H"),
    job_specification=batchmodels.JobSpecification(pool_info=batchmodels.PoolInformation(pool_id="big")))))
emit({"job": job, "schedule": schedule})`);
    for (const refusal of [result.job, result.schedule]) {
      assert.deepEqual({ status: refusal.status, code: refusal.code }, { status: 409, code: "ActiveJobAndScheduleQuotaReached" });
      assert.match(refusal.message, /^Active job and schedule quota for the account has been reached\./);
    }
    // The schedule's job is active too: ending the schedule completes it, and then a job fits again.
    await python(alpha, `client.job.terminate("one"); client.job_schedule.terminate("sched"); emit(True)`);
    await waitFor("the job and the schedule to complete", async () => {
      const states: string[] = await python(alpha, `emit([j.state for j in client.job.list()] + [s.state for s in client.job_schedule.list()])`);
      return states.every((state) => state === "completed");
    }, 60_000, 200);
    const added: null = await python(alpha, `emit(refused(lambda: client.job.add(batchmodels.JobAddParameter(id="two", pool_info=batchmodels.PoolInformation(pool_id="big")))))`);
    assert.equal(added, null);
  });
});
