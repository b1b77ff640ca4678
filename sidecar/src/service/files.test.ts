import { describe, expect, it } from "vitest";
import { launchdPlist, plistPath, servicePlan, systemdUnit, systemdWord, unitPath, UnsupportedPlatformError, type ServiceSpec } from "./files.js";

const spec: ServiceSpec = {
  node: "/usr/local/bin/node",
  cli: "/home/ann/.npm-global/lib/node_modules/hearth-sidecar/cli.js",
  config: "/home/ann/.config/hearth/sidecar.yaml",
  drainSeconds: 30,
  home: "/home/ann",
  uid: 1000,
  path: "/usr/local/bin:/usr/bin:/bin",
};

/** `Key=value` lines of a unit (last one wins, as systemd reads single-valued keys). */
function settings(unit: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of unit.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) (out[m[1]] ??= []).push(m[2]);
  }
  return out;
}

describe("the systemd user unit", () => {
  it("runs node on the built cli.js with the config, stops with SIGTERM and room for the drain, restarts on failure", () => {
    const unit = settings(systemdUnit(spec));
    expect(unit.ExecStart).toEqual([`${spec.node} ${spec.cli} --config ${spec.config}`]);
    expect(unit.Type).toEqual(["exec"]);
    expect(unit.KillSignal).toEqual(["SIGTERM"]);
    expect(unit.KillMode).toEqual(["mixed"]);
    expect(unit.TimeoutStopSec).toEqual(["45"]);
    expect(unit.Restart).toEqual(["on-failure"]);
    expect(unit.RestartPreventExitStatus).toEqual(["2 76"]);
    expect(unit.SyslogIdentifier).toEqual(["hearth-sidecar"]);
    expect(unit.Environment).toEqual(["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production"]);
    expect(unit.WantedBy).toEqual(["default.target"]);
    // Nothing in between node and the sidecar to relay signals.
    expect(systemdUnit(spec)).not.toMatch(/tsx|pnpm|npm /);
  });

  it("gives a longer drain a longer stop timeout", () => {
    expect(settings(systemdUnit({ ...spec, drainSeconds: 120 })).TimeoutStopSec).toEqual(["135"]);
  });

  it("quotes paths with spaces and escapes systemd's % specifiers", () => {
    expect(systemdWord("/opt/node/bin/node")).toBe("/opt/node/bin/node");
    expect(systemdWord("/home/ann/My Models/x.yaml")).toBe('"/home/ann/My Models/x.yaml"');
    expect(systemdWord("/home/a%b/q\"x")).toBe('"/home/a%%b/q\\"x"');
    const unit = settings(systemdUnit({ ...spec, config: "/home/ann/Hearth Config/sidecar.yaml" }));
    expect(unit.ExecStart?.[0]).toBe(`${spec.node} ${spec.cli} --config "/home/ann/Hearth Config/sidecar.yaml"`);
  });

  it("lives in the user's systemd directory, XDG_CONFIG_HOME respected", () => {
    expect(unitPath("/home/ann")).toBe("/home/ann/.config/systemd/user/hearth-sidecar.service");
    expect(unitPath("/home/ann", { XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/systemd/user/hearth-sidecar.service");
  });
});

describe("the launchd agent", () => {
  it("runs node on the built cli.js, keeps it alive after failures only, allows the drain, logs to ~/Library/Logs", () => {
    const plist = launchdPlist({ ...spec, home: "/Users/ann", config: "/Users/ann/.config/hearth/sidecar.yaml" });
    const args = [.../<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(plist)![1]!.matchAll(/<string>(.*?)<\/string>/g)].map((m) => m[1]);
    expect(args).toEqual([spec.node, spec.cli, "--config", "/Users/ann/.config/hearth/sidecar.yaml"]);
    expect(plist).toContain("<key>Label</key><string>com.hearth.sidecar</string>");
    expect(plist).toContain("<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>");
    expect(plist).toContain("<key>RunAtLoad</key><true/>");
    expect(plist).toContain("<key>ExitTimeOut</key><integer>45</integer>");
    expect(plist).toContain("<key>StandardErrorPath</key><string>/Users/ann/Library/Logs/hearth-sidecar.log</string>");
    expect(plistPath("/Users/ann")).toBe("/Users/ann/Library/LaunchAgents/com.hearth.sidecar.plist");
  });

  it("escapes XML in paths", () => {
    expect(launchdPlist({ ...spec, config: "/Users/a&b/<c>.yaml" })).toContain("<string>/Users/a&amp;b/&lt;c&gt;.yaml</string>");
  });
});

describe("the plans", () => {
  it("linux install writes the unit, reloads, enables and (re)starts it; uninstall undoes it; status asks systemctl", () => {
    const install = servicePlan("install", "linux", spec);
    expect(install.steps.map((s) => (s.kind === "run" ? s.argv.join(" ") : `${s.kind} ${s.path}`))).toEqual([
      "write /home/ann/.config/systemd/user/hearth-sidecar.service",
      "systemctl --user daemon-reload",
      "systemctl --user enable hearth-sidecar.service",
      "systemctl --user restart hearth-sidecar.service",
    ]);
    expect(install.notes).toContain("logs: journalctl --user -u hearth-sidecar -f");
    const uninstall = servicePlan("uninstall", "linux", spec);
    expect(uninstall.steps).toEqual([
      { kind: "run", argv: ["systemctl", "--user", "disable", "--now", "hearth-sidecar.service"], mayFail: true },
      { kind: "remove", path: "/home/ann/.config/systemd/user/hearth-sidecar.service" },
      { kind: "run", argv: ["systemctl", "--user", "daemon-reload"] },
    ]);
    expect(servicePlan("status", "linux", spec).steps).toEqual([{ kind: "run", argv: ["systemctl", "--user", "status", "--no-pager", "hearth-sidecar.service"], mayFail: true }]);
  });

  it("macOS install writes the plist and bootstraps it in the user's GUI domain (booting out an earlier one first)", () => {
    const mac = { ...spec, home: "/Users/ann", uid: 501 };
    const install = servicePlan("install", "darwin", mac);
    expect(install.steps.map((s) => (s.kind === "run" ? s.argv.join(" ") : `${s.kind} ${s.path}`))).toEqual([
      "write /Users/ann/Library/LaunchAgents/com.hearth.sidecar.plist",
      "launchctl bootout gui/501/com.hearth.sidecar",
      "launchctl bootstrap gui/501 /Users/ann/Library/LaunchAgents/com.hearth.sidecar.plist",
    ]);
    expect(install.notes[0]).toContain("tail -f /Users/ann/Library/Logs/hearth-sidecar.log");
    expect(servicePlan("status", "darwin", mac).steps).toEqual([{ kind: "run", argv: ["launchctl", "print", "gui/501/com.hearth.sidecar"], mayFail: true }]);
  });

  it("other platforms are refused with a typed error", () => {
    expect(() => servicePlan("install", "win32", spec)).toThrow(UnsupportedPlatformError);
  });
});
