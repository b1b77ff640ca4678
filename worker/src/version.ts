/**
 * What this Worker is, for GET /healthz and the tunnel's welcome: its Hearth version and the tunnel
 * protocol versions it serves. Public facts (no secrets), so a sidecar's `doctor` can check
 * compatibility before it connects.
 */
import { WORKER_PROTOCOL, type ProtocolRange } from "@hearth/shared";
import pkg from "../package.json";

export const WORKER_VERSION: string = pkg.version;

export interface Health {
  ok: true;
  /** The Worker's Hearth version. */
  version: string;
  /** Tunnel protocol versions it serves. */
  protocol: ProtocolRange;
}

export function health(): Health {
  return { ok: true, version: WORKER_VERSION, protocol: { ...WORKER_PROTOCOL } };
}
