/**
 * `openbatch certificate …`, as `az batch certificate …`: create (from a .cer or .pfx file), list, show, delete
 * (or cancel a failed deletion with --abort). Thumbprints are sha1, as az assumes.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { toArray, type CertificateAddParameter } from "@openbatch/client";
import { flags, requireOptions } from "../framework/body.js";
import { UsageError } from "../framework/errors.js";
import { leaf } from "../framework/leaf.js";
import { compact } from "../framework/parse.js";
import { certificateRows } from "./tables.js";

const algorithm = "sha1";

export function certificateCommand(): Command {
  const certificates = new Command("certificate").description("Manage Batch certificates.");

  leaf(certificates, "create", "Add a certificate from a .cer or .pfx file.")
    .options((command) =>
      command
        .option("--certificate-file <path>", "the certificate: .cer (DER) or .pfx (with --password)")
        .option("--thumbprint <sha1>", "the certificate's sha1 thumbprint (hex)")
        .option("--password <password>", "the .pfx file's password"),
    )
    .table(certificateRows)
    .action(async (invocation) => {
      requireOptions(invocation, "certificateFile", "thumbprint");
      const options = flags<{ certificateFile: string; thumbprint: string; password?: string }>(invocation);
      let data: Buffer;
      try {
        data = readFileSync(options.certificateFile);
      } catch (error) {
        throw new UsageError(`cannot read --certificate-file '${options.certificateFile}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
      }
      const format = options.password !== undefined || options.certificateFile.toLowerCase().endsWith(".pfx") ? "pfx" : "cer";
      const body: CertificateAddParameter = compact({
        thumbprint: options.thumbprint,
        thumbprintAlgorithm: algorithm,
        data: data.toString("base64"),
        certificateFormat: format,
        password: options.password,
      }) as CertificateAddParameter;
      await invocation.client().certificate.add(body);
      return invocation.client().certificate.get(algorithm, options.thumbprint);
    });

  leaf(certificates, "list", "List the certificates of the account.")
    .listQuery("filter", "select")
    .table(certificateRows)
    .action((invocation) => {
      const { filter, select } = invocation.listOptions();
      return toArray(invocation.client().certificate.list(compact({ filter, select })));
    });

  leaf(certificates, "show", "Get information about a certificate.")
    .options((command) => command.option("--thumbprint <sha1>", "the certificate's sha1 thumbprint"))
    .listQuery("select")
    .action((invocation) => {
      requireOptions(invocation, "thumbprint");
      const { select } = invocation.listOptions();
      return invocation.client().certificate.get(algorithm, flags<{ thumbprint: string }>(invocation).thumbprint, compact({ select }));
    });

  leaf(certificates, "delete", "Delete a certificate (or, with --abort, cancel a deletion that failed).")
    .options((command) => command.option("--thumbprint <sha1>", "the certificate's sha1 thumbprint").option("--abort", "cancel the failed deletion instead"))
    .confirm(() => "The certificate will be deleted.")
    .action(async (invocation) => {
      requireOptions(invocation, "thumbprint");
      const options = flags<{ thumbprint: string; abort?: boolean }>(invocation);
      if (options.abort === true) await invocation.client().certificate.cancelDeletion(algorithm, options.thumbprint);
      else await invocation.client().certificate.delete(algorithm, options.thumbprint);
      return undefined;
    });

  return certificates;
}
