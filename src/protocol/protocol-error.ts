/**
 * The one error a channel raises for what a peer sent (docs/protocol.md
 * "Framing and limits"): a frame too large, a line that is not JSON, or a
 * message of unknown type or wrong shape. It closes that one connection;
 * the run goes on.
 */
export type ProtocolErrorReason =
  /** A frame (one line) longer than the channel's limit, or an endless line. */
  | 'frame-too-large'
  /** A line that is not UTF-8 JSON. */
  | 'malformed-json'
  /** A JSON value that is not a message of this channel: unknown `type`, wrong shape or wrong field types. */
  | 'invalid-message'
  /** The peer did not finish its handshake before the deadline. */
  | 'handshake-deadline';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly reason: ProtocolErrorReason,
    message: string,
  ) {
    super(message);
  }
}
