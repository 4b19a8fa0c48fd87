/** Handlers of the Task group (add, add collection, get, list; the rest arrives with task execution). */
import type { TaskAddCollectionParameter, TaskAddParameter, TaskUpdateParameter } from "@openbatch/protocol";
import type { RequestContext } from "../http/context.js";
import type { HandlerTable } from "../http/app.js";
import { checkConditions } from "../http/conditions.js";
import { entityResult, listResult, listResultFromJson, resourceUrl } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { subtasksOf } from "../services/taskService.js";
import { taskView, type TaskControl, type TaskService } from "../services/taskService.js";

export function taskHandlers(tasks: TaskService, control: TaskControl): HandlerTable {
  /** The task's ETag after the request's conditions held (a write: unmet → 412). */
  const checked = async (ctx: RequestContext, params: Readonly<Record<string, string>>) => {
    const task = await tasks.get(ctx.account, params["jobId"] as string, params["taskId"] as string);
    checkConditions(ctx, task, false);
    return task;
  };
  return {
    Task_Terminate: async ({ ctx, params }) => {
      const task = await checked(ctx, params);
      await control.terminate(ctx.account, params["jobId"] as string, task.id, task.eTag, ctx.now);
      return { dataServiceId: task.body.url ?? "" };
    },
    Task_Delete: async ({ ctx, params }) => {
      const task = await checked(ctx, params);
      await control.delete(ctx.account, params["jobId"] as string, task.id, task.eTag, ctx.now);
      return {};
    },
    Task_Reactivate: async ({ ctx, params }) => {
      const task = await checked(ctx, params);
      await control.reactivate(ctx.account, params["jobId"] as string, task.id, task.eTag, ctx.now);
      return { dataServiceId: task.body.url ?? "" };
    },
    Task_Update: async ({ ctx, params, body }) => {
      const task = await checked(ctx, params);
      await control.update(ctx.account, params["jobId"] as string, task.id, (body as TaskUpdateParameter).constraints, task.eTag, ctx.now);
      const updated = await tasks.get(ctx.account, params["jobId"] as string, task.id);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
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
    Task_ListSubtasks: async ({ ctx, params }) => {
      const task = await tasks.get(ctx.account, params["jobId"] as string, params["taskId"] as string);
      const options = parseListOptions(ctx.query, {});
      return { body: { value: subtasksOf(task.body).map((subtask) => project(subtask, options.select)) } };
    },
    Task_List: async ({ ctx, params }) => {
      const options = parseListOptions(ctx.query, { filterTarget: "tasks" });
      if (options.select === undefined) {
        // Pages of a thousand tasks are this handler's whole cost: the store writes their JSON, nothing is parsed.
        const page = await tasks.listJson(ctx.account, params["jobId"] as string, options);
        return listResultFromJson(ctx, "tasks", page.items, page.nextKey);
      }
      const page = await tasks.list(ctx.account, params["jobId"] as string, options);
      const views = page.items.map((task) => project(Object.assign(taskView(task.body), { eTag: task.eTag }), options.select));
      return listResult(ctx, "tasks", views, page.nextKey);
    },
  };
}
