/**
 * What Lima's server (the Go SDK) accepts and the TypeScript SDK refuses (pure): an `initialize`
 * request without `capabilities` or `clientInfo`, as clients written against Lima send it (Lima's
 * own tests send only `protocolVersion`). Those fields are filled with empty values before the SDK
 * validates the request; every other message passes unchanged.
 */
export function lenientInitialize<M>(message: M): M {
  const m = message as { method?: unknown; params?: unknown };
  if (m.method !== "initialize" || typeof m.params !== "object" || m.params === null) return message;
  const params = m.params as Record<string, unknown>;
  return {
    ...m,
    params: {
      ...params,
      capabilities: params.capabilities ?? {},
      clientInfo: params.clientInfo ?? { name: "unknown", version: "0" },
    },
  } as M;
}
