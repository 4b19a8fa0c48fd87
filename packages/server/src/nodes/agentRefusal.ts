/**
 * A request on the agent endpoints refused for a reason the agent's operator must act on (a join token that is
 * wrong, expired or revoked; a pool that takes no more nodes; a node the agent does not host). Answered as
 * `{code, message}` with `status`; the message never quotes a token.
 */
export class AgentRefused extends Error {
  override readonly name = "AgentRefused";
  constructor(
    readonly status: 401 | 403 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
