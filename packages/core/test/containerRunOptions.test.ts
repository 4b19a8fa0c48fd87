import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkContainerRunOptions, containerRunArguments, ContainerOptionsError, qualifiedImageName } from "../src/index.js";

const restricted = { unrestricted: false };
const unrestricted = { unrestricted: true };

function refusal(text: string): ContainerOptionsError {
  try {
    checkContainerRunOptions(text, restricted);
  } catch (error) {
    assert.ok(error instanceof ContainerOptionsError, String(error));
    return error;
  }
  assert.fail(`'${text}' was accepted`);
}

describe("containerRunOptions", () => {
  it("parses shell words into options, every GNU spelling", () => {
    const options = checkContainerRunOptions(`--memory 1g -e "A=b c" --env='X=$HOME' -it -w/work --cpus=2 -l x=y`, restricted);
    assert.deepEqual(options, [
      { name: "memory", value: "1g" },
      { name: "env", value: "A=b c" },
      { name: "env", value: "X=$HOME" },
      { name: "interactive" },
      { name: "tty" },
      { name: "workdir", value: "/work" },
      { name: "cpus", value: "2" },
      { name: "label", value: "x=y" },
    ]);
    assert.deepEqual(containerRunArguments(options, (path) => path), ["--memory=1g", "--env=A=b c", "--env=X=$HOME", "--interactive", "--tty", "--workdir=/work", "--cpus=2", "--label=x=y"]);
    assert.deepEqual(checkContainerRunOptions(undefined, restricted), []);
    assert.deepEqual(checkContainerRunOptions("  ", restricted), []);
  });

  it("refuses what reaches outside the container, unless the account is unrestricted", () => {
    for (const text of [
      "--privileged",
      "--cap-add SYS_ADMIN",
      "--cap-add=ALL",
      "--pid=host",
      "--ipc host",
      "--uts=host",
      "--userns=host",
      "--network=container:other",
      "--device /dev/kvm",
      "--security-opt seccomp=unconfined",
      "--security-opt=apparmor=unconfined",
      "--security-opt label=disable",
      "-v /etc:/host-etc",
      "-v /:/host",
      "--volume=/var/run/docker.sock:/var/run/docker.sock",
      "--mount type=bind,src=/root,dst=/r",
      "-v shared-volume:/data",
      "--mount type=volume,src=named,dst=/d",
      "--volumes-from other",
      "--env-file /etc/environment",
      "-u 0",
      "--user=root",
      "--group-add 0",
      "--no-such-option",
    ]) {
      const error = refusal(text);
      assert.match(error.message, /this account may not use it/, text);
      assert.doesNotThrow(() => checkContainerRunOptions(text, unrestricted), text);
    }
    assert.equal(refusal("-v /etc:/host-etc").option, "-v");
    assert.match(refusal("-v /etc:/host-etc").message, /host path '\/etc'/);
  });

  it("always refuses what OpenBatch manages, and what is not an option", () => {
    for (const text of ["--name x", "--rm", "-d", "--detach", "--restart=always", "--env-host", "--log-driver none", "--pod p", "--cidfile /tmp/x", "--replace"]) {
      assert.match(refusal(text).message, /set by OpenBatch itself/, text);
      assert.throws(() => checkContainerRunOptions(text, unrestricted), ContainerOptionsError, text);
    }
    assert.match(refusal("busybox").message, /not an option/);
    assert.match(refusal("--memory 1g ubuntu echo").message, /'ubuntu' is not an option/);
    assert.match(refusal("--memory").message, /needs a value/);
    assert.match(refusal("-e A=1 | cat").message, /not a shell command: '\|'/);
    assert.match(refusal("-e A=1; rm -rf /").message, /';'/);
    assert.match(refusal("-e $HOME").message, /not expanded/);
    assert.match(refusal('-e "A=${B}"').message, /not expanded/);
    assert.match(refusal("-v /mnt/batch/tasks/../../etc:/e").message, /'\.\.' are not allowed/);
  });

  it("lets tasks bind their node and, read-only, the host's CA certificates", () => {
    const options = checkContainerRunOptions(
      "-v /mnt/batch/tasks/shared:/data:ro --mount type=bind,src=/mnt/batch/tasks/startup,dst=/s -v /etc/ssl/certs:/etc/ssl/certs:ro --tmpfs /scratch -v /cache --mount type=tmpfs,dst=/t --network none --security-opt no-new-privileges",
      restricted,
    );
    const args = containerRunArguments(options, (path) => `/data/nodes/pool/node${path.slice("/mnt/batch/tasks".length)}`);
    assert.deepEqual(args, [
      "--volume=/data/nodes/pool/node/shared:/data:ro",
      "--mount=type=bind,src=/data/nodes/pool/node/startup,dst=/s",
      "--volume=/etc/ssl/certs:/etc/ssl/certs:ro",
      "--tmpfs=/scratch",
      "--volume=/cache",
      "--mount=type=tmpfs,dst=/t",
      "--network=none",
      "--security-opt=no-new-privileges",
    ]);
    // The certificates read-write, or another host path read-only, are host paths like any other.
    assert.match(refusal("-v /etc/ssl/certs:/c").message, /host path/);
    assert.match(refusal("-v /etc/ssl:/c:ro").message, /host path/);
  });

  it("qualifies image names as docker does", () => {
    assert.equal(qualifiedImageName("busybox"), "docker.io/library/busybox:latest");
    assert.equal(qualifiedImageName("ubuntu:22.04"), "docker.io/library/ubuntu:22.04");
    assert.equal(qualifiedImageName("nextflow/bash"), "docker.io/nextflow/bash:latest");
    assert.equal(qualifiedImageName("myregistry.azurecr.io/tools/app:1.2"), "myregistry.azurecr.io/tools/app:1.2");
    assert.equal(qualifiedImageName("127.0.0.1:5000/bb"), "127.0.0.1:5000/bb:latest");
    assert.equal(qualifiedImageName("localhost/bb:1"), "localhost/bb:1");
    assert.equal(qualifiedImageName("quay.io/a/b@sha256:0123"), "quay.io/a/b@sha256:0123");
    for (const bad of ["", "-v", "--privileged", "Ubuntu", "a b", "a//b", "docker.io/", "a/../b"]) assert.equal(qualifiedImageName(bad), undefined, bad);
  });
});
