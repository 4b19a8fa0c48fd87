/** Certificate wire models (rest-api.md §4.5). */
import { DateTime, Type, model, type Static } from "../schema.js";
import { CertificateFormat, CertificateState } from "../enums.js";
import { NameValuePair } from "./common.js";
import { partialProperties } from "./util.js";

export const DeleteCertificateError = model(
  "DeleteCertificateError",
  partialProperties({
    code: Type.String(),
    message: Type.String(),
    values: Type.Array(NameValuePair),
  }),
);
export type DeleteCertificateError = Static<typeof DeleteCertificateError>;

/** Response-only. */
export const Certificate = model(
  "Certificate",
  partialProperties({
    thumbprint: Type.String(),
    thumbprintAlgorithm: Type.String(),
    url: Type.String(),
    state: CertificateState,
    stateTransitionTime: DateTime(),
    previousState: CertificateState,
    previousStateTransitionTime: DateTime(),
    publicData: Type.String({ description: "Base64 public part of the certificate." }),
    deleteCertificateError: DeleteCertificateError,
  }),
);
export type Certificate = Static<typeof Certificate>;

export const CertificateAddParameter = model("CertificateAddParameter", {
  thumbprint: Type.String(),
  thumbprintAlgorithm: Type.String({ description: "Conventionally `sha1`." }),
  data: Type.String({ description: "Base64 certificate content (pfx or cer)." }),
  certificateFormat: Type.Optional(CertificateFormat),
  password: Type.Optional(Type.String({ description: "Required for pfx, forbidden for cer." })),
});
export type CertificateAddParameter = Static<typeof CertificateAddParameter>;
