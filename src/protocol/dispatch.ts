/**
 * Dispatch of tagged-union messages through a handler table: a
 * `Record<Msg['type'], Handler>`, so a message type without a handler fails
 * to compile. Only the table's own entries are handlers: a `type` naming
 * something every object inherits (`valueOf`, `__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`) is an unknown type like any other.
 */
export type Handlers<M extends { readonly type: string }> = {
  readonly [K in M['type']]: (msg: Extract<M, { readonly type: K }>) => void;
};

/** Calls the handler for `msg.type`. An unknown type (from a peer) is reported, never ignored. */
export function dispatch<M extends { readonly type: string }>(handlers: Handlers<M>, msg: M, onUnknown: (msg: unknown) => void): void {
  const table = handlers as unknown as Readonly<Record<string, unknown>>;
  const h = typeof msg.type === 'string' && Object.hasOwn(table, msg.type) ? table[msg.type] : undefined;
  if (typeof h === 'function') (h as (m: M) => void)(msg);
  else onUnknown(msg);
}
