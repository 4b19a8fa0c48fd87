/** The abort reason used when the agent itself stops (its runs end `AgentRestarted`, not `TaskEnded`). */
export class AgentStopping extends Error {
  override readonly name = "AgentStopping";
}
