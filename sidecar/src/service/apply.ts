/** Runs a service plan, or prints it (--dry-run). */
import { spawnSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ServicePlan } from "./files.js";

export class ServiceCommandError extends Error {
  readonly code = "service_command_failed";
  constructor(argv: string[], status: number | null, detail: string) {
    super(`\`${argv.join(" ")}\` failed (${status ?? "not started"})${detail ? `: ${detail}` : ""}`);
    this.name = "ServiceCommandError";
  }
}

/** The plan as a person would read it: files with their contents, then commands. */
export function describePlan(plan: ServicePlan): string {
  const out: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === "write") out.push(`write ${step.path}:`, step.content.replace(/^(?=.)/gm, "  ").trimEnd());
    else if (step.kind === "remove") out.push(`remove ${step.path}`);
    else out.push(`run ${step.argv.join(" ")}${step.mayFail ? "   (may fail harmlessly)" : ""}`);
  }
  return `${[...out, ...plan.notes].join("\n")}\n`;
}

/** Runs each step; a command that fails (and may not) stops the plan with ServiceCommandError. */
export async function applyPlan(plan: ServicePlan, write: (line: string) => void): Promise<void> {
  for (const step of plan.steps) {
    if (step.kind === "write") {
      await mkdir(dirname(step.path), { recursive: true });
      await writeFile(step.path, step.content);
      write(`wrote ${step.path}\n`);
    } else if (step.kind === "remove") {
      await rm(step.path, { force: true });
      write(`removed ${step.path}\n`);
    } else {
      const r = spawnSync(step.argv[0] ?? "", step.argv.slice(1), { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
      // Not started at all (no systemctl/launchctl here) is never the harmless failure `mayFail` means.
      if (r.error) throw new ServiceCommandError(step.argv, null, (r.error as NodeJS.ErrnoException).code === "ENOENT" ? `${step.argv[0]} not found` : r.error.message);
      if (r.stderr && !step.mayFail) process.stderr.write(r.stderr);
      if (r.status !== 0 && !step.mayFail) throw new ServiceCommandError(step.argv, r.status, r.stderr.trim().split("\n").at(-1) ?? "");
    }
  }
  for (const note of plan.notes) write(`${note}\n`);
}
