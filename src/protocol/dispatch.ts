/**
 * Dispatch of tagged-union messages through a handler table: a
 * `Record<Msg['type'], Handler>`, so a message type without a handler fails
 * to compile.
 */
export type Handlers<M extends { readonly type: string }> = {
  readonly [K in M['type']]: (msg: Extract<M, { readonly type: K }>) => void;
};

/** Calls the handler for `msg.type`. An unknown type (from a peer) is reported, never ignored. */
export function dispatch<M extends { readonly type: string }>(handlers: Handlers<M>, msg: M, onUnknown: (msg: unknown) => void): void {
  const h = (handlers as unknown as Record<string, ((m: M) => void) | undefined>)[msg.type];
  if (h) h(msg);
  else onUnknown(msg);
}

/** A structural check used on every message received: an object with a string `type`. */
export function isMessage(x: unknown): x is { readonly type: string } {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}
