"""Certificates through the official SDK: add a pfx and a cer, get, list with a filter, a duplicate refused, delete
(gone at once), delete while a pool references it (deletefailed), cancel deletion. Prints what it saw."""
import base64

from _common import batchmodels, describe_batch_error, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pfx", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--pfx-thumbprint", required=True)
    parser.add_argument("--cer", required=True)
    parser.add_argument("--cer-thumbprint", required=True)


args = parse_args(configure)
client = make_client(args)


def read64(path):
    with open(path, "rb") as handle:
        return base64.b64encode(handle.read()).decode("ascii")


def state(value):
    return value.value if hasattr(value, "value") else value


def scenario():
    seen = {}
    client.certificate.add(batchmodels.CertificateAddParameter(
        thumbprint=args.pfx_thumbprint, thumbprint_algorithm="sha1", data=read64(args.pfx),
        certificate_format=batchmodels.CertificateFormat.pfx, password=args.password))
    client.certificate.add(batchmodels.CertificateAddParameter(
        thumbprint=args.cer_thumbprint, thumbprint_algorithm="sha1", data=read64(args.cer),
        certificate_format=batchmodels.CertificateFormat.cer))
    got = client.certificate.get("sha1", args.pfx_thumbprint)
    seen["got"] = {"thumbprint": got.thumbprint, "algorithm": got.thumbprint_algorithm, "state": state(got.state),
                   "hasPublicData": bool(got.public_data), "url": got.url}
    seen["listed"] = sorted(c.thumbprint.lower() for c in client.certificate.list(
        certificate_list_options=batchmodels.CertificateListOptions(filter="state eq 'active'")))
    try:
        client.certificate.add(batchmodels.CertificateAddParameter(
            thumbprint=args.cer_thumbprint, thumbprint_algorithm="sha1", data=read64(args.cer),
            certificate_format=batchmodels.CertificateFormat.cer))
        seen["duplicate"] = None
    except batchmodels.BatchErrorException as error:
        seen["duplicate"] = describe_batch_error(error)["code"]

    client.certificate.delete("sha1", args.cer_thumbprint)
    try:
        client.certificate.get("sha1", args.cer_thumbprint)
        seen["afterDelete"] = "still there"
    except batchmodels.BatchErrorException as error:
        seen["afterDelete"] = describe_batch_error(error)["code"]

    client.pool.add(batchmodels.PoolAddParameter(
        id="sdkcertpool", vm_size="standard_d1_v2", target_dedicated_nodes=0,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts"),
            node_agent_sku_id="batch.node.ubuntu 22.04"),
        certificate_references=[batchmodels.CertificateReference(thumbprint=args.pfx_thumbprint, thumbprint_algorithm="sha1")]))
    client.certificate.delete("sha1", args.pfx_thumbprint)
    failed = client.certificate.get("sha1", args.pfx_thumbprint)
    seen["inUse"] = {"state": state(failed.state), "previousState": state(failed.previous_state),
                     "errorCode": failed.delete_certificate_error.code if failed.delete_certificate_error else None}
    client.certificate.cancel_deletion("sha1", args.pfx_thumbprint)
    seen["cancelled"] = state(client.certificate.get("sha1", args.pfx_thumbprint).state)
    return seen


run(scenario)
