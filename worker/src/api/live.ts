/**
 * GET /v1/live: a WebSocket on which the caller's hub pushes each finished request and each change of
 * their sidecars as JSON (hub/live.ts), never prompt text. Authenticated like the rest of /v1 (the
 * principal is set by the /v1 middleware: an API key in a header, or the dashboard's session cookie);
 * never by a key in the query string, which would end up in logs and browser history.
 */
import { HearthError } from "@hearth/shared";
import type { Context } from "hono";
import type { AppEnv } from "../http/types.js";
import { LIVE_PATH, hubFor } from "../hub-client/index.js";

export async function liveRoute(c: Context<AppEnv>): Promise<Response> {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HearthError("invalid_request", "GET /v1/live takes a WebSocket upgrade: it pushes each request and sidecar change as JSON.", { status: 426 });
  }
  const { user } = c.get("principal");
  // Only the upgrade itself reaches the hub: no credential, cookie or other header of the client.
  const url = new URL(LIVE_PATH, c.req.url);
  return hubFor(c.env, user.id).fetch(new Request(url, { headers: { upgrade: "websocket" } }));
}
