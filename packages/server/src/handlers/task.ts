/** Handlers of the Task group (add, add collection, get, list; the rest arrives with task execution). */
import type { TaskAddCollectionParameter, TaskAddParameter } from "@openbatch/protocol";
import type { HandlerTable } from "../http/app.js";
import { checkConditions } from "../http/conditions.js";
import { entityResult, listResult, resourceUrl } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { taskView, type TaskService } from "../services/taskService.js";

export function taskHandlers(tasks: TaskService): HandlerTable {
  return {
    Task_Add: async ({ ctx, params, body }) => {
      const jobId = params["jobId"] as string;
      const request = body as TaskAddParameter;
      const url = resourceUrl(ctx, "jobs", jobId, "tasks", request.id);
      const task = await tasks.add(ctx.account, jobId, request, url, ctx.now);
      return { version: task, dataServiceId: url };
    },
    Task_AddCollection: async ({ ctx, params, body }) => {
      const jobId = params["jobId"] as string;
      const results = await tasks.addCollection(ctx.account, jobId, (body as TaskAddCollectionParameter).value, (taskId) => resourceUrl(ctx, "jobs", jobId, "tasks", taskId), ctx.now);
      return { body: { "odata.metadata": `${ctx.baseUrl}/$metadata#taskaddresult`, value: results } };
    },
    Task_Get: async ({ ctx, params }) => {
      const task = await tasks.get(ctx.account, params["jobId"] as string, params["taskId"] as string);
      checkConditions(ctx, task, true);
      const options = parseListOptions(ctx.query, {});
      return entityResult(ctx, "tasks", project(taskView(task.body), options.select), task);
    },
    Task_List: async ({ ctx, params }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "tasks" });
      const page = await tasks.list(ctx.account, params["jobId"] as string, options);
      return listResult(ctx, "tasks", page.items.map((task) => project({ ...taskView(task.body), eTag: task.eTag }, options.select)), page.nextKey);
    },
  };
}
