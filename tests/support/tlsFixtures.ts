/**
 * A throwaway certificate authority and a server certificate it signed, made with openssl in a temporary directory:
 * `ca.pem` (what agents and clients get with --ca-file / REQUESTS_CA_BUNDLE), `server.pem` (the server's certificate
 * followed by the CA, as `serve --tls-cert` takes a chain) and `server.key`. The server certificate names the given
 * addresses (IP SANs) and `localhost`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsFixture {
  readonly directory: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  remove(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function makeTlsFixture(ipAddresses: readonly string[] = ["127.0.0.1"]): TlsFixture {
  const directory = mkdtempSync(join(tmpdir(), "openbatch-tls-"));
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=OpenBatch test CA"], directory);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=openbatch-test-server"], directory);
  const names = [...ipAddresses.map((ip) => `IP:${ip}`), "DNS:localhost"].join(",");
  writeFileSync(join(directory, "ext.cnf"), `subjectAltName=${names}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext.cnf"], directory);
  writeFileSync(join(directory, "server.pem"), readFileSync(join(directory, "leaf.pem"), "utf8") + readFileSync(join(directory, "ca.pem"), "utf8"));
  return {
    directory,
    caFile: join(directory, "ca.pem"),
    certFile: join(directory, "server.pem"),
    keyFile: join(directory, "server.key"),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
