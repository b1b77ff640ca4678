/**
 * `hearth-sidecar service install | uninstall | status`: a systemd user unit (Linux) or a launchd agent
 * (macOS) that runs this installed package's cli.js with this node, reading the config file.
 */
import { defineCommand } from "citty";
import { existsSync, realpathSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { ConfigError, fromFile, resolveConfig } from "../config.js";
import { defaultConfigPath } from "../config-path.js";
import { applyPlan, describePlan } from "../service/apply.js";
import { servicePlan, UnsupportedPlatformError, type ServiceAction, type ServiceSpec } from "../service/files.js";
import { exitAfter, print } from "./output.js";

/** The running cli.js, symlinks (npm's bin link) resolved; undefined when run from TypeScript source. */
function builtCli(): string | undefined {
  const entry = process.argv[1];
  if (!entry) return undefined;
  const real = realpathSync(entry);
  return real.endsWith(".js") ? real : undefined;
}

function spec(config: string, drainSeconds: number): ServiceSpec | string {
  const cli = builtCli();
  if (!cli) return "service files run the installed package (npm install -g hearth-sidecar-<version>.tgz), not the TypeScript source: install it and run `hearth-sidecar service install` (or use sidecar/deploy/ from a checkout)";
  const nodeDir = dirname(process.execPath);
  return { node: process.execPath, cli, config, drainSeconds, home: homedir(), uid: userInfo().uid, path: [nodeDir, "/usr/local/bin", "/usr/bin", "/bin"].filter((p, i, all) => all.indexOf(p) === i).join(":") };
}

const common = {
  config: { type: "string", description: "the config file the service reads (default: $XDG_CONFIG_HOME/hearth/sidecar.yaml or ~/.config/hearth/sidecar.yaml)" },
  "dry-run": { type: "boolean", description: "print the files and commands instead of writing and running them" },
} as const;

function action(name: ServiceAction, description: string) {
  return defineCommand({
    meta: { name, description },
    args: common,
    async run({ args }) {
      const config = resolve(args.config ?? defaultConfigPath());
      let drainSeconds = 30;
      if (name === "install") {
        // The service reads only this file: refuse to install one that cannot start.
        if (!existsSync(config)) return exitAfter(`no config file at ${config}: run \`hearth-sidecar init\` first (or pass --config)\n`, 2);
        try {
          drainSeconds = resolveConfig({ file: fromFile(config), env: {}, flags: {} }).drainSeconds;
        } catch (err) {
          if (err instanceof ConfigError) return exitAfter(`${config}: ${err.message}\n`, 2);
          throw err;
        }
      }
      const s = spec(config, drainSeconds);
      if (typeof s === "string") return exitAfter(`${s}\n`, 2);
      let plan;
      try {
        plan = servicePlan(name, process.platform, s, process.env);
      } catch (err) {
        if (err instanceof UnsupportedPlatformError) return exitAfter(`${err.message}\n`, 2);
        throw err;
      }
      if (args["dry-run"]) return print(describePlan(plan));
      try {
        await applyPlan(plan, (line) => process.stdout.write(line));
      } catch (err) {
        const hint = plan.platform === "linux" ? "\nno systemd user session here? (containers, WSL without systemd): run hearth-sidecar in the foreground, or write the unit elsewhere with --dry-run" : "";
        return exitAfter(`${err instanceof Error ? err.message : String(err)}${hint}\n`, 1);
      }
    },
  });
}

export const serviceCommand = defineCommand({
  meta: { name: "service", description: "Run the sidecar as a service: a systemd user unit (Linux) or a launchd agent (macOS)." },
  subCommands: {
    install: action("install", "write and enable the service (restarts it if it runs)"),
    uninstall: action("uninstall", "stop, disable and remove the service"),
    status: action("status", "the service manager's view of it"),
  },
});
