"""Account_ListSupportedImages through azure-batch: `client.account.list_supported_images`.

Usage: supported_images.py ENDPOINT ACCOUNT KEY [--filter F] [--max-results N]
Prints {"ok", "count", "images": [...wire-named fields...], "pageSizes": [...]}.
"""
from _common import batchmodels, collect_pages, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--filter", default=None)
    parser.add_argument("--max-results", type=int, default=None)


def image_to_wire(image):
    reference = image.image_reference
    return {
        "nodeAgentSKUId": image.node_agent_sku_id,
        "imageReference": None if reference is None else {
            "publisher": reference.publisher,
            "offer": reference.offer,
            "sku": reference.sku,
            "version": reference.version,
        },
        "osType": image.os_type,
        "verificationType": image.verification_type,
        "capabilities": image.capabilities,
        "batchSupportEndOfLife": None if image.batch_support_end_of_life is None else image.batch_support_end_of_life.isoformat(),
    }


def image_key(image):
    reference = image.image_reference
    return "%s|%s|%s|%s" % (image.node_agent_sku_id, reference.publisher, reference.offer, reference.sku)


def main():
    args = parse_args(configure)
    client = make_client(args)

    def options():
        return batchmodels.AccountListSupportedImagesOptions(filter=args.filter, max_results=args.max_results)

    def action():
        # The way users call it: iterate, letting the SDK follow odata.nextLink.
        images = list(client.account.list_supported_images(options()))
        # Again, page by page, to report how the server paged.
        paged_images, page_sizes = collect_pages(client.account.list_supported_images(options()))
        return {
            "count": len(images),
            "keys": [image_key(image) for image in images],
            "images": [image_to_wire(image) for image in images],
            "pagedKeys": [image_key(image) for image in paged_images],
            "pageSizes": page_sizes,
        }

    run(action)


if __name__ == "__main__":
    main()
