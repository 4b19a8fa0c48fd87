"""Account_ListPoolNodeCounts through azure-batch: `client.account.list_pool_node_counts`.

Usage: node_counts.py ENDPOINT ACCOUNT KEY
Prints {"ok", "count", "poolIds": [...]}.
"""
from _common import make_client, parse_args, run


def main():
    args = parse_args()
    client = make_client(args)

    def action():
        counts = list(client.account.list_pool_node_counts())
        return {"count": len(counts), "poolIds": [entry.pool_id for entry in counts]}

    run(action)


if __name__ == "__main__":
    main()
