/** Handlers of the Task group (add, add collection, get, list; the rest arrives with task execution). */
import { checkConditions, conditionedETag } from "../http/conditions.js";
import type { HandlerTable, RequestContext } from "../http/context.js";
import { entityResult, listResult, listResultFromJson, resourceUrl } from "../http/results.js";
import { parseListOptions, project } from "../odata/listQuery.js";
import { taskStatistics } from "../records/statistics.js";
import type { TaskRecord } from "../records/tasks.js";
import { wantsStats } from "./job.js";
import { subtasksOf } from "../services/taskService.js";
import { taskView, type TaskControl, type TaskService } from "../services/taskService.js";

/** The task as the wire shows it, with `stats` when the request asked for them (its runs' figures at `now`). */
function taskWithStats(task: TaskRecord, stats: boolean, now: Date) {
  const view = taskView(task);
  if (stats) {
    view.stats = taskStatistics({ url: task.url, creationTime: task.creationTime, state: task.state, startTime: task.executionInfo?.startTime, totals: task._ob.stats }, now);
  }
  return view;
}

export function taskHandlers(tasks: TaskService, control: TaskControl) {
  /** The task's ETag after the request's conditions held (a write: unmet → 412). */
  const checked = async (ctx: RequestContext, params: { readonly jobId: string; readonly taskId: string }) => {
    const task = await tasks.get(ctx.account, params.jobId, params.taskId);
    checkConditions(ctx, task, false);
    return task;
  };
  return {
    Task_Terminate: async ({ ctx, params }) => {
      const task = await checked(ctx, params);
      await control.terminate(ctx.account, params.jobId, task.id, conditionedETag(ctx, task), ctx.now);
      return { dataServiceId: task.body.url ?? "" };
    },
    Task_Delete: async ({ ctx, params }) => {
      const task = await checked(ctx, params);
      await control.delete(ctx.account, params.jobId, task.id, conditionedETag(ctx, task), ctx.now);
      return {};
    },
    Task_Reactivate: async ({ ctx, params }) => {
      const task = await checked(ctx, params);
      await control.reactivate(ctx.account, params.jobId, task.id, conditionedETag(ctx, task), ctx.now);
      return { dataServiceId: task.body.url ?? "" };
    },
    Task_Update: async ({ ctx, params, body }) => {
      const task = await checked(ctx, params);
      await control.update(ctx.account, params.jobId, task.id, body.constraints, conditionedETag(ctx, task), ctx.now);
      const updated = await tasks.get(ctx.account, params.jobId, task.id);
      return { version: updated, dataServiceId: updated.body.url ?? "" };
    },
    Task_Add: async ({ ctx, params, body }) => {
      const url = resourceUrl(ctx, "jobs", params.jobId, "tasks", body.id);
      const task = await tasks.add(ctx.account, params.jobId, body, url, ctx.now);
      return { version: task, dataServiceId: url };
    },
    Task_AddCollection: async ({ ctx, params, body }) => {
      const { jobId } = params;
      const results = await tasks.addCollection(ctx.account, jobId, body.value, (taskId) => resourceUrl(ctx, "jobs", jobId, "tasks", taskId), ctx.now);
      return { body: { "odata.metadata": `${ctx.baseUrl}/$metadata#taskaddresult`, value: results } };
    },
    Task_Get: async ({ ctx, params, query }) => {
      const task = await tasks.get(ctx.account, params.jobId, params.taskId);
      checkConditions(ctx, task, true);
      const options = parseListOptions(query, {});
      return entityResult(ctx, "tasks", project(taskWithStats(task.body, wantsStats(options), ctx.now), options.select), task);
    },
    Task_ListSubtasks: async ({ ctx, params, query }) => {
      const task = await tasks.get(ctx.account, params.jobId, params.taskId);
      const options = parseListOptions(query, {});
      return { body: { value: subtasksOf(task.body).map((subtask) => project(subtask, options.select)) } };
    },
    Task_List: async ({ ctx, params, query }) => {
      const options = parseListOptions(query, { filterTarget: "tasks" });
      const stats = wantsStats(options);
      if (options.select === undefined && !stats) {
        // Pages of a thousand tasks are this handler's whole cost: the store writes their JSON, nothing is parsed.
        const page = await tasks.listJson(ctx.account, params.jobId, options);
        return listResultFromJson(ctx, "tasks", page.items, page.nextKey);
      }
      const page = await tasks.list(ctx.account, params.jobId, options);
      const views = page.items.map((task) => project(Object.assign(taskWithStats(task.body, stats, ctx.now), { eTag: task.eTag }), options.select));
      return listResult(ctx, "tasks", views, page.nextKey);
    },
  } satisfies Partial<HandlerTable>;
}
