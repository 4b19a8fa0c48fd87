import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PoolAddParameter } from "@openbatch/protocol";
import { apiVersion, batchErrorCode, batchRequest } from "../support/batchRequest.js";
import { startTestServer, testAccounts, type TestServer } from "../support/testServer.js";

const account = testAccounts.alpha;
const total = 2600;

function pool(id: string, vmSize: string): PoolAddParameter {
  return {
    id,
    vmSize,
    virtualMachineConfiguration: {
      imageReference: { publisher: "canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts" },
      nodeAgentSKUId: "batch.node.ubuntu 22.04",
    },
    targetDedicatedNodes: 0,
  };
}

describe("lists: $filter, $select, maxresults and odata.nextLink", () => {
  let server: TestServer;
  const ids: string[] = [];
  before(async () => {
    // More pools than an account's default pool quota (100): this test is about lists, not quotas.
    server = await startTestServer({ quotas: { pools: total } });
    const now = new Date();
    for (let i = 0; i < total; i++) {
      const id = `${i % 2 === 0 ? "even" : "odd"}-${String(i).padStart(5, "0")}`;
      ids.push(id);
      await server.services.pools.add(account.name, pool(id, i % 3 === 0 ? "Standard_D4s_v3" : "standard_d2s_v3"), `${server.url}/pools/${id}`, now);
    }
  });
  after(() => server.dispose());

  async function listAll(query: string): Promise<{ items: any[]; pages: number; links: string[] }> {
    const items: any[] = [];
    const links: string[] = [];
    let path: string | undefined = `/pools?api-version=${apiVersion}&${query}`;
    let pages = 0;
    while (path !== undefined) {
      const response = await batchRequest(server.url, { path, account });
      assert.equal(response.status, 200, response.text);
      pages++;
      items.push(...response.json.value);
      const link = response.json["odata.nextLink"] as string | undefined;
      if (link === undefined) break;
      links.push(link);
      assert.ok(link.startsWith(`${server.url}/pools?`), `nextLink must be absolute: ${link}`);
      assert.ok(!/[{}]/.test(link), "nextLink must carry no raw braces");
      path = link.slice(server.url.length);
    }
    return { items, pages, links };
  }

  it(`pages over ${total} rows with maxresults and a $filter, each row exactly once`, async () => {
    const { items, pages, links } = await listAll(`maxresults=100&$filter=${encodeURIComponent("startswith(id,'even') and vmSize eq 'standard_d2s_v3'")}`);
    const expected = ids.filter((id, i) => id.startsWith("even") && i % 3 !== 0).sort();
    assert.deepEqual(items.map((p) => p.id), expected);
    assert.equal(new Set(items.map((p) => p.id)).size, items.length);
    assert.equal(pages, Math.ceil(expected.length / 100));
    for (const link of links) {
      const url = new URL(link);
      assert.equal(url.searchParams.get("api-version"), apiVersion);
      assert.equal(url.searchParams.get("maxresults"), "100");
      assert.equal(url.searchParams.get("$filter"), "startswith(id,'even') and vmSize eq 'standard_d2s_v3'");
      assert.ok(url.searchParams.get("$skiptoken"));
    }
  });

  it("pages over every row with the default page size of 1000", async () => {
    const { items, pages } = await listAll("");
    assert.equal(items.length, total);
    assert.equal(pages, Math.ceil(total / 1000));
  });

  it("carries $select through the pages", async () => {
    const { items } = await listAll(`maxresults=1000&$select=id,state&$filter=${encodeURIComponent("startswith(id,'odd-0000')")}`);
    assert.equal(items.length, 5);
    for (const item of items) assert.deepEqual(Object.keys(item).sort(), ["id", "state"]);
  });

  it("supports or, not, parentheses, ne, and date comparisons", async () => {
    const { items } = await listAll(`$filter=${encodeURIComponent("(id eq 'even-00000' or id eq 'ODD-00001') and not (state eq 'deleting')")}`);
    assert.deepEqual(items.map((p) => p.id), ["even-00000", "odd-00001"]);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const { items: recent } = await listAll(`maxresults=1000&$filter=${encodeURIComponent(`creationTime lt DateTime'${future}' and id le 'even-00010'`)}`);
    assert.equal(recent.length, 6);
    const { items: none } = await listAll(`$filter=${encodeURIComponent(`creationTime gt DateTime'${future}'`)}`);
    assert.equal(none.length, 0);
  });

  it("refuses an unsupported filter property, naming it", async () => {
    const response = await batchRequest(server.url, { path: `/pools?api-version=${apiVersion}&$filter=${encodeURIComponent("colour eq 'blue'")}`, account });
    assert.equal(response.status, 400);
    assert.equal(batchErrorCode(response), "InvalidQueryParameterValue");
    assert.match(response.json.message.value, /'colour'/);
  });

  it("refuses malformed filters, operators a property does not allow, and wrong literal types", async () => {
    for (const filter of ["id eq", "(id eq 'a'", "id eq 'a' and", "id like 'a'", "state gt 'active'", "creationTime gt 'soon'", "enableAutoScale eq 'yes'", "id eq 'unterminated"]) {
      const response = await batchRequest(server.url, { path: `/pools?api-version=${apiVersion}&$filter=${encodeURIComponent(filter)}`, account });
      assert.equal(response.status, 400, filter);
      assert.equal(batchErrorCode(response), "InvalidQueryParameterValue", filter);
    }
  });

  it("validates maxresults, $expand and the continuation token", async () => {
    for (const [query, code] of [
      ["maxresults=0", "OutOfRangeQueryParameterValue"],
      ["maxresults=1001", "OutOfRangeQueryParameterValue"],
      ["maxresults=ten", "InvalidQueryParameterValue"],
      ["$expand=nodes", "InvalidQueryParameterValue"],
      ["$skiptoken=garbage", "InvalidQueryParameterValue"],
    ] as const) {
      const response = await batchRequest(server.url, { path: `/pools?api-version=${apiVersion}&${query}`, account });
      assert.equal(response.status, 400, query);
      assert.equal(batchErrorCode(response), code, query);
    }
  });

  it("fills stats only with $expand=stats", async () => {
    const plain = await batchRequest(server.url, { path: `/pools/even-00000?api-version=${apiVersion}`, account });
    assert.equal(plain.json.stats, undefined);
    const expanded = await batchRequest(server.url, { path: `/pools/even-00000?api-version=${apiVersion}&$expand=stats`, account });
    assert.ok(expanded.json.stats?.startTime);
  });

  it("never shows one account's rows to another", async () => {
    const other = await batchRequest(server.url, { path: `/pools?api-version=${apiVersion}`, account: testAccounts.beta });
    assert.equal(other.status, 200);
    assert.deepEqual(other.json.value, []);
    const get = await batchRequest(server.url, { path: `/pools/even-00000?api-version=${apiVersion}`, account: testAccounts.beta });
    assert.equal(get.status, 404);
    assert.equal(batchErrorCode(get), "PoolNotFound");
    const del = await batchRequest(server.url, { method: "DELETE", path: `/pools/even-00000?api-version=${apiVersion}`, account: testAccounts.beta });
    assert.equal(del.status, 404);
    const stillThere = await batchRequest(server.url, { path: `/pools/even-00000?api-version=${apiVersion}`, account });
    assert.equal(stillThere.status, 200);
  });
});
