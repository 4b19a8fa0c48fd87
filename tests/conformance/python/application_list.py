"""Application_List through azure-batch: `client.application.list`.

Usage: application_list.py ENDPOINT ACCOUNT KEY [--max-results N]
Prints {"ok", "ids", "applications": [...], "pageSizes": [...]}.
"""
from _common import batchmodels, collect_pages, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--max-results", type=int, default=None)


def main():
    args = parse_args(configure)
    client = make_client(args)

    def options():
        return batchmodels.ApplicationListOptions(max_results=args.max_results)

    def action():
        # The way users call it: iterate, letting the SDK follow odata.nextLink.
        applications = list(client.application.list(options()))
        # Again, page by page, to report how the server paged.
        paged, page_sizes = collect_pages(client.application.list(options()))
        return {
            "ids": [application.id for application in applications],
            "applications": [
                {"id": application.id, "displayName": application.display_name, "versions": application.versions}
                for application in applications
            ],
            "pagedIds": [application.id for application in paged],
            "pageSizes": page_sizes,
        }

    run(action)


if __name__ == "__main__":
    main()
