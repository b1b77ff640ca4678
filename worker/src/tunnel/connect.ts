/**
 * GET /v1/sidecar/connect: the sidecar's WebSocket, authenticated by the user's sidecar token (never
 * the API key), handed to that user's hub. A token can only ever reach its own user's hub.
 */
import { HearthError } from "@hearth/shared";
import type { Context } from "hono";
import { presentedKey, resolvePrincipal } from "../auth/middleware.js";
import type { AppEnv } from "../http/types.js";
import { hubFor } from "./stub.js";

export async function sidecarConnect(c: Context<AppEnv>): Promise<Response> {
  const token = presentedKey(c.req.raw.headers);
  if (!token) throw new HearthError("missing_api_key", "Missing sidecar token. Send it as 'Authorization: Bearer <token>'.");
  const principal = await resolvePrincipal(c.env.DB, token);
  if (!principal || principal.kind !== "sidecar") throw new HearthError("invalid_api_key", "Invalid sidecar token.");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HearthError("invalid_request", "This endpoint takes a WebSocket upgrade (the Hearth sidecar opens it).", { status: 426 });
  }
  const headers = new Headers(c.req.raw.headers);
  headers.set("x-hearth-credential", principal.credentialId);
  headers.delete("authorization");
  return hubFor(c.env, principal.user.id).fetch(new Request(c.req.url, { headers }));
}
