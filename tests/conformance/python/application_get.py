"""Application_Get through azure-batch: `client.application.get(application_id)`.

Usage: application_get.py ENDPOINT ACCOUNT KEY APPLICATION_ID
Prints {"ok", "application": {"id", "displayName", "versions"}} or {"ok": false, "error": {...}}.
"""
from _common import make_client, parse_args, run


def configure(parser):
    parser.add_argument("application_id")


def main():
    args = parse_args(configure)
    client = make_client(args)

    def action():
        application = client.application.get(args.application_id)
        return {
            "application": {
                "id": application.id,
                "displayName": application.display_name,
                "versions": application.versions,
            }
        }

    run(action)


if __name__ == "__main__":
    main()
