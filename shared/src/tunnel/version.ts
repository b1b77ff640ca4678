/**
 * Which tunnel protocol versions work together, decided in one pure function both ends use.
 *
 * The Worker speaks a range of versions (`WORKER_PROTOCOL`); a sidecar speaks one. A sidecar names its
 * version in the upgrade request (`x-hearth-protocol`), so the Worker can refuse an incompatible one
 * with a message before any frame is exchanged, and in its `hello` (sidecars older than the header
 * send it only there). The Worker names its range in `welcome`, so a sidecar can tell a Worker too old
 * to check the header. Whoever is older is the one to upgrade, and the message says how.
 */
import { PROTOCOL_VERSION } from "./protocol.js";

export interface ProtocolRange {
  /** Oldest protocol version spoken. */
  min: number;
  /** Newest protocol version spoken. */
  max: number;
}

/**
 * The versions this build of the Worker serves. Raise `min` only when a version's sidecars can no
 * longer be served: they are then told to upgrade, not left to fail frame by frame.
 */
export const WORKER_PROTOCOL: ProtocolRange = { min: 1, max: PROTOCOL_VERSION };

/** Request header of the sidecar's upgrade: the protocol version it speaks. */
export const PROTOCOL_HEADER = "x-hearth-protocol";
/** Request header of the sidecar's upgrade: its package version, for messages only. */
export const SIDECAR_VERSION_HEADER = "x-hearth-sidecar-version";
/** The WebSocket close code for a protocol version the other end cannot speak. */
export const PROTOCOL_CLOSE_CODE = 4002;
/** How a user upgrades each side; named in every mismatch message. */
export const UPGRADE_HOW = {
  // Not published on npm: the package is built from the Worker's own checkout, so the two match.
  sidecar: "npm i -g the hearth-sidecar tarball from `pnpm --filter @hearth/sidecar package` in the checkout you deploy",
  worker: "wrangler deploy from an up-to-date Hearth checkout",
} as const;

export type Compatibility =
  | { ok: true }
  | {
      ok: false;
      /** The older side: the one to upgrade. */
      upgrade: "sidecar" | "worker";
      /** The whole story, for a log line or an error body. */
      message: string;
      /** A short form that fits a WebSocket close reason (at most 123 bytes). */
      closeReason: string;
    };

export interface Sides {
  worker: ProtocolRange & { version?: string | undefined };
  sidecar: { protocol: number; version?: string | undefined };
}

const range = (r: ProtocolRange) => (r.min === r.max ? `protocol ${r.max}` : `protocols ${r.min}-${r.max}`);
const named = (what: string, version: string | undefined) => (version ? `${what} (${version})` : what);

/** Whether this sidecar can work with this Worker, and if not, which to upgrade. */
export function compatibility({ worker, sidecar }: Sides): Compatibility {
  const { protocol } = sidecar;
  if (Number.isInteger(protocol) && protocol >= worker.min && protocol <= worker.max) return { ok: true };
  const upgrade = protocol > worker.max ? "worker" : "sidecar";
  const fix = upgrade === "sidecar" ? `upgrade the sidecar (${UPGRADE_HOW.sidecar})` : `upgrade the Worker (${UPGRADE_HOW.worker})`;
  const message = `this Worker${worker.version ? ` (Hearth ${worker.version})` : ""} speaks tunnel ${range(worker)}; ${named("this sidecar", sidecar.version)} speaks protocol ${protocol}: ${fix}`;
  const closeReason = `upgrade the ${upgrade}: Worker speaks ${range(worker)}, sidecar ${protocol}`;
  return { ok: false, upgrade, message, closeReason };
}

/** The version in an `x-hearth-protocol` header: undefined when absent, NaN when not a whole number. */
export function protocolOfHeader(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  return /^\s*\d{1,6}\s*$/.test(value) ? Number(value) : Number.NaN;
}
