/** Service limits (semantics.md §12.1). */
export const limits = {
  idMaxLength: 64,
  displayNameMaxLength: 1024,
  autoPoolIdPrefixMaxLength: 20,
  /** `maxresults` bounds for ordinary lists. */
  maxResultsDefault: 1000,
  maxResultsMax: 1000,
  /** `maxresults` bounds for GET /nodecounts. */
  nodeCountsMaxResultsDefault: 10,
  nodeCountsMaxResultsMax: 10,
  /** Request bodies larger than this are refused with 413 RequestBodyTooLarge (the .19 spec's add-collection limit). */
  requestBodyMaxBytes: 1024 * 1024,
  tasksPerAddCollection: 100,
  timeoutDefaultSeconds: 30,
  dependencyIdsMaxChars: 64_000,
  autoScaleFormulaMaxBytes: 8 * 1024,
  autoScaleFormulaMaxStatements: 100,
  removeNodesPerCall: 100,
  maxTaskSlotsPerNode: 256,
  packageReferencesPerPool: 10,
  mountsPerNode: 10,
  startTaskCommandLineMaxChars: 32_768,
} as const;
