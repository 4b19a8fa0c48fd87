/**
 * @openbatch/agent: the node agent. `startAgent` runs one in-process (tests, the CLI); `./main` is the process.
 */
export { startAgent, agentVersion, type Agent, type AgentOptions, type AgentStopReason } from "./agent.js";
export { parseAgentArguments, UsageError, usage, type ParsedArguments } from "./options.js";
export { createLogger, silentLogger, type Logger, type LogLevel, type LogFields } from "./log.js";
export { splitCommandLine, CommandLineError } from "./process/commandLine.js";
export {
  runProcess,
  startProcess,
  ProcessLaunchError,
  type LaunchFailureCode,
  type ProcessResult,
  type RunProcessOptions,
  type StartedProcess,
} from "./process/runProcess.js";
export { defaultLauncher, exitUsage, nodeLauncher, SpawnerLauncher, spawnerBinary, LaunchError, type Launcher, type LaunchRequest, type Launched, type ExitStatus } from "./process/launchers.js";
export { GroupSampler } from "./usage/groupSampler.js";
export { directoryBytes, NodeResourceSampler, type NodeResourceSample, type SampledNode } from "./usage/nodeResources.js";
export { parseIo, parseResidentBytes, parseStat, sampleGroups, type GroupSample } from "./usage/procfs.js";
export {
  confine,
  detectIsolation,
  isolationWarning,
  noIsolation,
  resolveVisibleProgram,
  sandboxNodeRoot,
  systemView,
  toSandboxPath,
  type Confinement,
  type Isolation,
  type IsolationMode,
  type SandboxTools,
} from "./process/sandbox.js";
export { createFileServer, type FileServer, type FileServerOptions } from "./files/fileServer.js";
export { FileApiError, type FileApiErrorCode } from "./files/fileApiError.js";
export type { NodeFileProperties } from "./files/nodeFiles.js";
export { nodeLayout, type NodeLayout } from "./nodes/nodeLayout.js";
export { processEnvironment, type ProcessEnvironmentInput } from "./nodes/processEnvironment.js";
export { localStatePath, readSavedState, type PersistedState, type PersistedNode } from "./localState.js";
export { downloadResourceFiles, resourceFileFailure, ResourceFileError, type ResourceFileFailureCode } from "./files/resourceFiles.js";
export { uploadOutputFiles, uploadConditionHolds, type OutputUpload } from "./files/outputFiles.js";
export { blobNameFor, expandVariables, splitPattern } from "./files/filePattern.js";
export {
  ApplicationPackageInstaller,
  ApplicationPackageFailure,
  applicationPackageEnvironment,
  extractZip,
  type ApplicationPackageSource,
} from "./nodes/applicationPackages.js";
export { parseServerUrls } from "./session/serverUrls.js";
export { runRemoteAgent, type RemoteAgentOptions, type RemoteAgentExit } from "./remote/runRemoteAgent.js";
export { readIdentity, identityPath, type AgentIdentityFile } from "./remote/identityFile.js";
