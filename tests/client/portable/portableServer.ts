/**
 * The server both runners of the portable suite use: one account (bearer tokens address the only account) that also
 * accepts Entra ID-style bearer tokens signed by a key made here, and the suite's context with such a token.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { startTestServer, testAccounts, type TestServer } from "../../support/testServer.js";
import type { SuiteContext } from "./clientSuite.js";

const issuer = "https://login.example/portable-suite/";

export async function startPortableServer(prefix: string): Promise<{ server: TestServer; context: SuiteContext; dispose(): Promise<void> }> {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const directory = mkdtempSync(join(tmpdir(), "openbatch-portable-"));
  const publicKeyFile = join(directory, "public.pem");
  writeFileSync(publicKeyFile, keys.publicKey.export({ type: "spki", format: "pem" }));
  const server = await startTestServer({ accounts: [`${testAccounts.alpha.name}:${testAccounts.alpha.key}`], bearerToken: { publicKeyFile, issuer } });
  const bearerToken = await new SignJWT({ oid: "portable-suite" })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(issuer)
    .setAudience("https://batch.core.windows.net/")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(keys.privateKey);
  return {
    server,
    context: { url: server.url, account: testAccounts.alpha, prefix, bearerToken },
    async dispose() {
      await server.dispose();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
