/**
 * The well-known development account — like Azurite's devstoreaccount1. A server with no account configured serves
 * it, only on loopback (its key is public); the `openbatch` command connects to it when given no connection.
 */
export const developmentAccount = {
  name: "devbatch",
  key: "EhLwoU4d10BwJD9Toq8e/+gUM5VrgkLrqpR1epjKTf1JJqlPCmZ5L4c5HEYkCqk6sd4T/qkt4ptDb4UH4KEEGA==",
} as const;

/** Where `openbatch serve` listens by default, and so where the command looks first. */
export const defaultLocalEndpoint = "http://127.0.0.1:8090";
