"""ComputeNode_UploadBatchServiceLogs through azure-batch: `client.compute_node.upload_batch_service_logs`.

Usage: upload_service_logs.py ENDPOINT ACCOUNT KEY --pool P --node N --container-url URL --start-time ISO
       [--end-time ISO] [--identity-resource-id ID]
Prints {"ok", "virtualDirectoryName", "numberOfFilesUploaded"} or {"ok": false, "error": {...}}.
"""
import datetime

from _common import batchmodels, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pool", required=True)
    parser.add_argument("--node", required=True)
    parser.add_argument("--container-url", required=True)
    parser.add_argument("--start-time", required=True)
    parser.add_argument("--end-time")
    parser.add_argument("--identity-resource-id")


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def main():
    args = parse_args(configure)
    client = make_client(args)

    def action():
        configuration = batchmodels.UploadBatchServiceLogsConfiguration(
            container_url=args.container_url,
            start_time=parse_time(args.start_time),
            end_time=parse_time(args.end_time) if args.end_time else None,
            identity_reference=batchmodels.ComputeNodeIdentityReference(resource_id=args.identity_resource_id)
            if args.identity_resource_id else None,
        )
        result = client.compute_node.upload_batch_service_logs(args.pool, args.node, configuration)
        return {"virtualDirectoryName": result.virtual_directory_name, "numberOfFilesUploaded": result.number_of_files_uploaded}

    run(action)


if __name__ == "__main__":
    main()
