/** Certificate group (deprecated by the service in 2024-02-01.19.0, still available). */
import type { Certificate, CertificateAddParameter } from "../models.js";
import type { OperationContext } from "../operation.js";
import type { GetCertificateOptions, ListCertificatesOptions, OperationOptions } from "../options.js";
import type { PagedAsyncIterableIterator } from "../paging.js";
import type { BatchOperationResult, WithResponse } from "../responses.js";
import { bodyResult, headersResult, listResult, opts } from "./common.js";

export class CertificateOperations {
  constructor(private readonly context: OperationContext) {}

  add(certificate: CertificateAddParameter, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Certificate_Add", { body: certificate, options: opts(options) });
  }

  list(options?: ListCertificatesOptions): PagedAsyncIterableIterator<Certificate> {
    return listResult(this.context, "Certificate_List", { options: opts(options) });
  }

  /** Returns a certificate in state `deletefailed` to `active` (204). */
  cancelDeletion(thumbprintAlgorithm: string, thumbprint: string, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Certificate_CancelDeletion", { path: { thumbprintAlgorithm, thumbprint }, options: opts(options) });
  }

  delete(thumbprintAlgorithm: string, thumbprint: string, options?: OperationOptions): Promise<BatchOperationResult> {
    return headersResult(this.context, "Certificate_Delete", { path: { thumbprintAlgorithm, thumbprint }, options: opts(options) });
  }

  get(thumbprintAlgorithm: string, thumbprint: string, options?: GetCertificateOptions): Promise<WithResponse<Certificate>> {
    return bodyResult(this.context, "Certificate_Get", { path: { thumbprintAlgorithm, thumbprint }, options: opts(options) });
  }
}
