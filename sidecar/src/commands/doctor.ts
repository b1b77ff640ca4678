/** `hearth-sidecar doctor`: checks this machine's setup and says how to fix what fails (exit 1 if anything does). */
import { defineCommand } from "citty";
import { ConfigError, fromEnv, fromFile, resolveConfig } from "../config.js";
import { configFileToRead } from "../config-path.js";
import { configCheck, exitCodeOf } from "../doctor/checks.js";
import { runChecks } from "../doctor/gather.js";
import { renderJson, renderTable } from "../doctor/report.js";
import { SIDECAR_VERSION } from "../version.js";
import { overrides } from "./flags.js";
import { exitAfter } from "./output.js";

export const doctorCommand = defineCommand({
  meta: { name: "doctor", description: "Check the Worker, the token, the GPU, the models, Ollama, the clock and a test generation; a fix for each failure." },
  args: {
    config: { type: "string", description: "config file (default: $XDG_CONFIG_HOME/hearth/sidecar.yaml or ~/.config/hearth/sidecar.yaml)" },
    url: { type: "string", description: "check this Worker URL instead of the config's" },
    token: { type: "string", description: "check this sidecar token instead of the config's" },
    models: { type: "string", description: "check these GGUF files or directories instead of the config's (comma-separated)" },
    ollama: { type: "string", description: "check this Ollama instead of the config's" },
    json: { type: "boolean", description: "print the checks as JSON" },
    generate: { type: "boolean", default: true, description: "run a test generation (loads a model)", negativeDescription: "skip the test generation" },
    timeout: { type: "string", default: "10", description: "seconds each network check may take" },
  },
  async run({ args }) {
    const configPath = configFileToRead(args.config);
    let cfg;
    try {
      cfg = resolveConfig({ ...(configPath ? { file: fromFile(configPath) } : {}), env: fromEnv(process.env), flags: overrides(args) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const checks = [configCheck(configPath, err.message)];
      return exitAfter(args.json ? renderJson(checks, { sidecarVersion: SIDECAR_VERSION, configPath }) : renderTable(checks), 1);
    }
    const timeoutMs = Math.max(1, Number(args.timeout) || 10) * 1000;
    if (!args.json) process.stderr.write(`hearth-sidecar ${SIDECAR_VERSION} doctor: checking${args.generate ? " (the test generation loads a model)" : ""}…\n`);
    const checks = [configCheck(configPath, undefined), ...(await runChecks({ cfg, configPath, generate: args.generate, timeoutMs, generationTimeoutMs: 180_000 }))];
    return exitAfter(args.json ? renderJson(checks, { sidecarVersion: SIDECAR_VERSION, configPath }) : renderTable(checks), exitCodeOf(checks));
  },
});
