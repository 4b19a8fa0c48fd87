"""Pool_ListUsageMetrics through azure-batch: `client.pool.list_usage_metrics`, following every page.

Usage: usage_metrics.py ENDPOINT ACCOUNT KEY [--start-time ISO] [--end-time ISO] [--filter F] [--max-results N]
Prints {"ok", "metrics": [{"poolId", "startTime", "endTime", "vmSize", "totalCoreHours"}], "pageSizes": [...]}.
"""
import datetime

from _common import batchmodels, collect_pages, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--start-time")
    parser.add_argument("--end-time")
    parser.add_argument("--filter")
    parser.add_argument("--max-results", type=int, default=1000)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def iso(value):
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    args = parse_args(configure)
    client = make_client(args)

    def action():
        options = batchmodels.PoolListUsageMetricsOptions(
            start_time=parse_time(args.start_time), end_time=parse_time(args.end_time),
            filter=args.filter, max_results=args.max_results)
        items, sizes = collect_pages(client.pool.list_usage_metrics(pool_list_usage_metrics_options=options))
        return {
            "metrics": [{"poolId": m.pool_id, "startTime": iso(m.start_time), "endTime": iso(m.end_time),
                         "vmSize": m.vm_size, "totalCoreHours": m.total_core_hours} for m in items],
            "pageSizes": sizes,
        }

    run(action)


if __name__ == "__main__":
    main()
