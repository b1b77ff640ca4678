/**
 * GET /v1/sidecar/connect: the sidecar's WebSocket, authenticated by the user's sidecar token (never
 * the API key), handed to that user's hub. A token can only ever reach its own user's hub.
 *
 * A sidecar that names an incompatible protocol version (x-hearth-protocol) is refused here with 426
 * and a message naming what to upgrade, before any frame. One that names none predates the header and
 * speaks protocol 1: it is let through, and the hub checks the version in its hello.
 */
import { HearthError, PROTOCOL_HEADER, SIDECAR_VERSION_HEADER, WORKER_PROTOCOL, compatibility, protocolOfHeader } from "@hearth/shared";
import type { Context } from "hono";
import { presentedKey, resolvePrincipal } from "../auth/middleware.js";
import type { AppEnv } from "../http/types.js";
import { WORKER_VERSION } from "../version.js";
import { hubFor } from "../hub-client/index.js";

export async function sidecarConnect(c: Context<AppEnv>): Promise<Response> {
  const token = presentedKey(c.req.raw.headers);
  if (!token) throw new HearthError("missing_api_key", "Missing sidecar token. Send it as 'Authorization: Bearer <token>'.");
  const principal = await resolvePrincipal(c.env.DB, token);
  if (!principal || principal.kind !== "sidecar") throw new HearthError("invalid_api_key", "Invalid sidecar token.");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HearthError("invalid_request", "This endpoint takes a WebSocket upgrade (the Hearth sidecar opens it).", { status: 426 });
  }
  refuseIncompatible(c.req.raw.headers);
  const headers = new Headers(c.req.raw.headers);
  headers.set("x-hearth-credential", principal.credentialId);
  headers.delete("authorization");
  return hubFor(c.env, principal.user.id).fetch(new Request(c.req.url, { headers }));
}

/** Throws 426 `sidecar_protocol_mismatch` (or 400 for a malformed header) when the sidecar cannot be served. */
function refuseIncompatible(headers: Headers): void {
  const protocol = protocolOfHeader(headers.get(PROTOCOL_HEADER));
  if (protocol === undefined) return;
  if (Number.isNaN(protocol)) throw new HearthError("invalid_request", `'${PROTOCOL_HEADER}' must be a whole number.`, { param: PROTOCOL_HEADER });
  const verdict = compatibility({
    worker: { ...WORKER_PROTOCOL, version: WORKER_VERSION },
    sidecar: { protocol, version: headers.get(SIDECAR_VERSION_HEADER)?.slice(0, 50) ?? undefined },
  });
  if (!verdict.ok) throw new HearthError("sidecar_protocol_mismatch", verdict.message, { param: PROTOCOL_HEADER });
}
