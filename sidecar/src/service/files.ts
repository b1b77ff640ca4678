/**
 * The service files `hearth-sidecar service install` writes — a systemd user unit (Linux) and a
 * launchd agent (macOS) — and the commands that enable, remove and show them, as a plan. Pure: the
 * contents are tested as text; apply.ts runs a plan (or prints it, --dry-run).
 *
 * Both run the built JavaScript with node directly (no npm, pnpm or tsx in between to relay signals),
 * stop it with SIGTERM — the sidecar drains: finishes running requests, up to drainSeconds, and exits
 * 0 — allow the drain plus a margin before the hard kill, and restart it after a failure, not after a
 * clean stop.
 */
import { join } from "node:path";
import { PROTOCOL_MISMATCH_EXIT } from "../tunnel/handshake.js";

export const UNIT_NAME = "hearth-sidecar.service";
export const LAUNCHD_LABEL = "com.hearth.sidecar";
/** Seconds beyond drainSeconds before the service manager kills: unloading models and the goodbye frame. */
export const STOP_MARGIN_SECONDS = 15;

export interface ServiceSpec {
  /** Absolute path of the node binary (process.execPath). */
  node: string;
  /** Absolute path of the built cli.js. */
  cli: string;
  /** Absolute path of the config file the service reads. */
  config: string;
  /** The config's drainSeconds (default 30). */
  drainSeconds: number;
  home: string;
  /** Numeric user id (launchctl's gui/<uid> domain). */
  uid: number;
  /** PATH for the service: node's own directory first, so `#!/usr/bin/env node` children find the same node. */
  path: string;
}

export type Step =
  | { kind: "write"; path: string; content: string }
  | { kind: "remove"; path: string }
  /** A command as argv; `mayFail`: a failure is expected when there is nothing to undo (not loaded yet). */
  | { kind: "run"; argv: string[]; mayFail?: boolean };

export interface ServicePlan {
  platform: "linux" | "darwin";
  /** What to do, in order. */
  steps: Step[];
  /** Where the logs are, and anything else a person should know. */
  notes: string[];
}

/** A systemd ExecStart word: quoted when it must be, with `%` (a specifier) and `\`/`"` escaped. */
export function systemdWord(s: string): string {
  const escaped = s.replace(/%/g, "%%");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function stopTimeoutSeconds(drainSeconds: number): number {
  return Math.ceil(drainSeconds) + STOP_MARGIN_SECONDS;
}

export function systemdUnit(s: ServiceSpec): string {
  const exec = [s.node, s.cli, "--config", s.config].map(systemdWord).join(" ");
  return `# Written by \`hearth-sidecar service install\`; \`hearth-sidecar service uninstall\` removes it.
[Unit]
Description=Hearth sidecar (serves your Hearth requests on this machine's models)
# The user manager has no network-online target; the sidecar keeps re-dialling the Worker anyway.
After=network-online.target

[Service]
# exec: starting fails when node cannot be started, instead of reporting success.
Type=exec
ExecStart=${exec}
Environment=${systemdWord(`PATH=${s.path}`)}
Environment=NODE_ENV=production
SyslogIdentifier=hearth-sidecar
# SIGTERM to node alone: the sidecar stops taking work, finishes running requests (drainSeconds,
# ${s.drainSeconds} s) and exits 0; anything left in the unit is killed after that.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=${stopTimeoutSeconds(s.drainSeconds)}
Restart=on-failure
RestartSec=5
# Exit codes that restarting will not fix (the journal says which): 2 a bad setting, ${PROTOCOL_MISMATCH_EXIT} a
# Worker that speaks another protocol version (upgrade the side it names).
RestartPreventExitStatus=2 ${PROTOCOL_MISMATCH_EXIT}

[Install]
WantedBy=default.target
`;
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function launchdLogPath(home: string): string {
  return join(home, "Library", "Logs", "hearth-sidecar.log");
}

export function launchdPlist(s: ServiceSpec): string {
  const args = [s.node, s.cli, "--config", s.config].map((a) => `    <string>${xml(a)}</string>`).join("\n");
  const log = xml(launchdLogPath(s.home));
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by \`hearth-sidecar service install\`; \`hearth-sidecar service uninstall\` removes it.
     launchd sends SIGTERM to node itself: the sidecar finishes running requests (drainSeconds,
     ${s.drainSeconds} s) and exits 0; ExitTimeOut later it sends SIGKILL. KeepAlive restarts it after a
     failure, not after a clean stop. -->
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key><string>${xml(s.path)}</string>
    <key>NODE_ENV</key><string>production</string>
  </dict>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>ThrottleInterval</key><integer>5</integer>
  <key>ExitTimeOut</key><integer>${stopTimeoutSeconds(s.drainSeconds)}</integer>
  <key>ProcessType</key><string>Background</string>
  <key>StandardOutPath</key><string>${log}</string>
  <key>StandardErrorPath</key><string>${log}</string>
</dict>
</plist>
`;
}

export function unitPath(home: string, env: NodeJS.ProcessEnv = {}): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && xdg.startsWith("/") ? xdg : join(home, ".config"), "systemd", "user", UNIT_NAME);
}

export function plistPath(home: string): string {
  return join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
}

export type ServiceAction = "install" | "uninstall" | "status";

export class UnsupportedPlatformError extends Error {
  readonly code = "unsupported_platform";
  constructor(platform: string) {
    super(`service ${platform === "win32" ? "on Windows" : `on ${platform}`} is not supported: run hearth-sidecar in the foreground, or under your own supervisor`);
    this.name = "UnsupportedPlatformError";
  }
}

const run = (argv: string[], mayFail = false): Step => ({ kind: "run", argv, ...(mayFail ? { mayFail } : {}) });

/** What `service <action>` does on `platform`. */
export function servicePlan(action: ServiceAction, platform: NodeJS.Platform, s: ServiceSpec, env: NodeJS.ProcessEnv = {}): ServicePlan {
  if (platform === "linux") {
    const path = unitPath(s.home, env);
    const user = (...args: string[]) => ["systemctl", "--user", ...args];
    const notes = ["logs: journalctl --user -u hearth-sidecar -f", "to start at boot and keep running after you log out: sudo loginctl enable-linger $USER"];
    switch (action) {
      case "install":
        // restart: `enable --now` leaves an already running unit on its old command line.
        return { platform, steps: [{ kind: "write", path, content: systemdUnit(s) }, run(user("daemon-reload")), run(user("enable", UNIT_NAME)), run(user("restart", UNIT_NAME))], notes };
      case "uninstall":
        return { platform, steps: [run(user("disable", "--now", UNIT_NAME), true), { kind: "remove", path }, run(user("daemon-reload"))], notes: [] };
      case "status":
        // status exits 3 for a stopped unit: still an answer.
        return { platform, steps: [run(user("status", "--no-pager", UNIT_NAME), true)], notes };
    }
  }
  if (platform === "darwin") {
    const path = plistPath(s.home);
    const target = `gui/${s.uid}/${LAUNCHD_LABEL}`;
    const notes = [`logs: tail -f ${launchdLogPath(s.home)} (launchd writes the sidecar's output there, not to \`log show\`)`];
    switch (action) {
      case "install":
        // bootout first: bootstrap refuses a label that is already loaded (an earlier install).
        return { platform, steps: [{ kind: "write", path, content: launchdPlist(s) }, run(["launchctl", "bootout", target], true), run(["launchctl", "bootstrap", `gui/${s.uid}`, path])], notes };
      case "uninstall":
        return { platform, steps: [run(["launchctl", "bootout", target], true), { kind: "remove", path }], notes: [] };
      case "status":
        return { platform, steps: [run(["launchctl", "print", target], true)], notes };
    }
  }
  throw new UnsupportedPlatformError(platform);
}
