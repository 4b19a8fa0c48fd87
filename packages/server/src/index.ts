export { startServer, createHandlerTable, type OpenBatchServer, type ServerHealth, type Services } from "./server.js";
export { resolveServerConfig, isLoopback, type ServerOptions, type ResolvedServerConfig } from "./config.js";
export { developmentAccount, parseAccountSpec, AccountRegistry, type Account } from "./accounts.js";
export { stringsToSign, sign, verifySharedKey, type SignableRequest } from "./auth/sharedKey.js";
export { batchAudience, type BearerTokenOptions } from "./auth/bearerToken.js";
export { parseFilter } from "./odata/filter.js";
export { parseListOptions, nextLink, encodeSkipToken, type ListOptions } from "./odata/listQuery.js";
export { supportedImages, nodeAgentSkuIds } from "./catalogue/supportedImages.js";
export { createAutoStorage, type AutoStorage, type AutoStorageOptions } from "./storage/autoStorage.js";
