"""Certificates as Microsoft's azure-batch tests add them (issue #14 item 3): a PKCS#12 file written by older
tooling (RC2-40 and 3DES, a SHA-1 MAC) is accepted and read back; cancelling the deletion of an active certificate
is 409 CertificateStateActive; the certificate then deletes. Prints what it saw."""
import base64

from _common import batchmodels, describe_batch_error, make_client, parse_args, run


def configure(parser):
    parser.add_argument("--pfx", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--thumbprint", required=True)


def main():
    args = parse_args(configure)
    client = make_client(args)

    def action():
        with open(args.pfx, "rb") as handle:
            data = base64.b64encode(handle.read()).decode("ascii")
        client.certificate.add(batchmodels.CertificateAddParameter(
            thumbprint=args.thumbprint, thumbprint_algorithm="sha1", data=data,
            certificate_format=batchmodels.CertificateFormat.pfx, password=args.password))
        listed = [c.thumbprint.lower() for c in client.certificate.list() if c.thumbprint.lower() == args.thumbprint.lower()]
        got = client.certificate.get("sha1", args.thumbprint)
        result = {"listed": listed, "thumbprint": got.thumbprint, "algorithm": got.thumbprint_algorithm, "deleteError": got.delete_certificate_error, "hasPublicData": bool(got.public_data)}
        try:
            client.certificate.cancel_deletion("sha1", args.thumbprint)
            result["cancelActive"] = None
        except batchmodels.BatchErrorException as error:
            described = describe_batch_error(error)
            result["cancelActive"] = {"code": described["code"], "status": described["statusCode"]}
        client.certificate.delete("sha1", args.thumbprint)
        try:
            client.certificate.get("sha1", args.thumbprint)
            result["afterDelete"] = "still there"
        except batchmodels.BatchErrorException as error:
            result["afterDelete"] = describe_batch_error(error)["code"]
        return result

    run(action)


if __name__ == "__main__":
    main()
