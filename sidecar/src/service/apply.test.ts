import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyPlan, describePlan, ServiceCommandError } from "./apply.js";
import type { ServicePlan } from "./files.js";

describe("running a service plan", () => {
  it("writes files (making their directory), runs commands, removes files, then prints the notes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hearth-service-"));
    const path = join(dir, "systemd", "user", "x.service");
    const lines: string[] = [];
    await applyPlan({ platform: "linux", steps: [{ kind: "write", path, content: "[Unit]\n" }, { kind: "run", argv: ["true"] }, { kind: "run", argv: ["false"], mayFail: true }], notes: ["logs: here"] }, (l) => lines.push(l));
    expect(readFileSync(path, "utf8")).toBe("[Unit]\n");
    expect(lines).toEqual([`wrote ${path}\n`, "logs: here\n"]);
    await applyPlan({ platform: "linux", steps: [{ kind: "remove", path }], notes: [] }, () => {});
    expect(existsSync(path)).toBe(false);
  });

  it("stops at a failing command, and at a missing one even where failure is harmless", async () => {
    const plan = (argv: string[], mayFail?: true): ServicePlan => ({ platform: "linux", steps: [{ kind: "run", argv, ...(mayFail ? { mayFail } : {}) }], notes: [] });
    await expect(applyPlan(plan(["false"]), () => {})).rejects.toThrow(ServiceCommandError);
    await expect(applyPlan(plan(["hearth-no-such-command"], true), () => {})).rejects.toThrow("hearth-no-such-command not found");
  });

  it("--dry-run describes every step and the notes", () => {
    const text = describePlan({ platform: "linux", steps: [{ kind: "write", path: "/u/x.service", content: "[Unit]\nA=b\n\n[Install]\n" }, { kind: "run", argv: ["systemctl", "--user", "daemon-reload"] }, { kind: "remove", path: "/u/y" }], notes: ["logs: journalctl"] });
    expect(text).toBe("write /u/x.service:\n  [Unit]\n  A=b\n\n  [Install]\nrun systemctl --user daemon-reload\nremove /u/y\nlogs: journalctl\n");
  });
});
