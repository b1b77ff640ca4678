/**
 * The sidecar's half of the version handshake: what it says at the upgrade, and how it reads the three
 * ways a Worker can say "not this version" —
 *   - 426 `sidecar_protocol_mismatch` to the upgrade (a Worker that reads x-hearth-protocol),
 *   - a `welcome` whose range leaves this sidecar out (a Worker too old to read the header),
 *   - close code 4002 after hello (any Worker; the reason says what to upgrade on current ones).
 * Each is a hard mismatch: retrying cannot fix it, so the sidecar says what to upgrade and exits with
 * PROTOCOL_MISMATCH_EXIT instead of re-dialling.
 */
import { PROTOCOL_CLOSE_CODE, PROTOCOL_HEADER, PROTOCOL_VERSION, SIDECAR_VERSION_HEADER, UPGRADE_HOW, compatibility, type WorkerFrame } from "@hearth/shared";

/** sysexits.h EX_PROTOCOL ("remote error in protocol"): a service unit can stop restarting on it. */
export const PROTOCOL_MISMATCH_EXIT = 76;

/**
 * Test-only: makes this sidecar claim another protocol version, to see how Workers answer an older or
 * newer one. It changes nothing else about what the sidecar sends.
 */
export const PROTOCOL_OVERRIDE_ENV = "HEARTH_SIDECAR_PROTOCOL_OVERRIDE";

export interface ProtocolMismatch {
  /** Which side is older, when the Worker said so. */
  upgrade?: "sidecar" | "worker";
  /** What to tell the user: the versions, and what to upgrade how. */
  message: string;
}

/** The protocol version this sidecar claims: its own, or the test override when set to a whole number. */
export function sidecarProtocol(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[PROTOCOL_OVERRIDE_ENV];
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : PROTOCOL_VERSION;
}

export function handshakeHeaders(protocol: number, version: string): Record<string, string> {
  return { [PROTOCOL_HEADER]: String(protocol), [SIDECAR_VERSION_HEADER]: version };
}

/** A refused upgrade's answer, if it is the Worker saying the versions do not work together. */
export function mismatchOfResponse(status: number, body: string): ProtocolMismatch | undefined {
  if (status !== 426) return undefined;
  try {
    const err = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (err?.code !== "sidecar_protocol_mismatch" || typeof err.message !== "string") return undefined;
    const upgrade = /upgrade the (sidecar|worker)/i.exec(err.message)?.[1]?.toLowerCase() as ProtocolMismatch["upgrade"];
    return { message: err.message, ...(upgrade ? { upgrade } : {}) };
  } catch {
    return undefined;
  }
}

/** The Worker's welcome, if its protocol range leaves this sidecar out. Older Workers name only `v`. */
export function mismatchOfWelcome(frame: Extract<WorkerFrame, { t: "welcome" }>, sidecar: { protocol: number; version: string }): ProtocolMismatch | undefined {
  const worker = { min: frame.min ?? frame.v, max: frame.max ?? frame.v, version: frame.version };
  const verdict = compatibility({ worker, sidecar });
  return verdict.ok ? undefined : { upgrade: verdict.upgrade, message: verdict.message };
}

/** A close frame, if it is the Worker refusing this sidecar's protocol version. */
export function mismatchOfClose(code: number, reason: string, protocol: number): ProtocolMismatch | undefined {
  if (code !== PROTOCOL_CLOSE_CODE) return undefined;
  const upgrade = /upgrade the (sidecar|worker)/i.exec(reason)?.[1]?.toLowerCase() as ProtocolMismatch["upgrade"];
  const said = reason || "no reason given";
  const message = upgrade
    ? `the Worker refused this sidecar's tunnel protocol ${protocol}: ${said} (${UPGRADE_HOW[upgrade]})`
    : `the Worker refused this sidecar's tunnel protocol ${protocol} (${said}): upgrade whichever of the two is older`;
  return { message, ...(upgrade ? { upgrade } : {}) };
}

/**
 * The CLI's answer to a mismatch: say what to upgrade, stop cleanly (backends disposed), exit
 * PROTOCOL_MISMATCH_EXIT. Under a service manager that restarts on failure this becomes a slow retry
 * at the unit's pace, each attempt logging the same message, until one side is upgraded.
 */
export async function exitForMismatch(mismatch: ProtocolMismatch, stop: () => Promise<void>): Promise<never> {
  process.stderr.write(`hearth sidecar: ${mismatch.message}\n`);
  await stop().catch(() => {});
  process.exit(PROTOCOL_MISMATCH_EXIT);
}
