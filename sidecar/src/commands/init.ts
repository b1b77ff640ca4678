/**
 * `hearth-sidecar init`: asks for (or takes flags for) the Worker URL and the sidecar token, finds
 * models (GGUF directories, a running Ollama), writes the config file, and dials the Worker once to
 * prove the URL and token work. Without a terminal every answer must come as a flag.
 */
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { ADD_COMMAND, llamaCpp } from "../addons/llama-cpp/status.js";
import { ConfigError, fromFile } from "../config.js";
import { defaultConfigPath } from "../config-path.js";
import { formatBytes, inspectGgufs } from "../inspect/gguf.js";
import { inspectOllama, ollamaUrlFromEnv, type OllamaReport } from "../inspect/ollama.js";
import { candidateModelDirs, configYaml, initSettings } from "../init/settings.js";
import { ISSUE_TOKEN_FIX } from "../doctor/checks.js";
import { connectUrl } from "../tunnel/backoff.js";
import { probeTunnel, protocolHeaders } from "../tunnel/probe.js";
import { addLlamaCpp } from "./addon.js";
import { exitAfter, print } from "./output.js";

type Ask = (question: string, fallback?: string) => Promise<string>;

function asker(): { ask: Ask; close(): void } | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  return {
    ask: async (q, fallback) => (await rl.question(fallback ? `${q} [${fallback}]: ` : `${q}: `)).trim() || (fallback ?? ""),
    close: () => rl.close(),
  };
}

/** Directories among the usual places that hold at least one GGUF. */
async function detectModelDirs(): Promise<string[]> {
  const dirs = candidateModelDirs(homedir()).filter((d) => existsSync(d));
  const found = await Promise.all(dirs.map(async (d) => ((await inspectGgufs([d], false)).length > 0 ? d : undefined)));
  return found.filter((d): d is string => d !== undefined);
}

async function chooseOllama(flag: string | undefined): Promise<OllamaReport | undefined> {
  if (flag === "off" || flag === "none") return undefined;
  const report = await inspectOllama(flag ?? ollamaUrlFromEnv());
  // Detected, not asked for: an Ollama that is not running is simply not used.
  return flag || report.ok ? report : undefined;
}

const need = (name: string) => `--${name} is required without a terminal to ask in`;

export const initCommand = defineCommand({
  meta: { name: "init", description: "Write the config file (Worker URL, sidecar token, models) and prove the connection." },
  args: {
    url: { type: "string", description: "the Worker's URL, e.g. https://hearth.example.workers.dev" },
    token: { type: "string", description: "your sidecar token (hs_…), not the API key" },
    models: { type: "string", description: "GGUF files or directories, comma-separated (default: found in ~/models, ~/.cache/llama.cpp, LM Studio's folders)" },
    ollama: { type: "string", description: "an Ollama to serve, or 'off' (default: OLLAMA_HOST or 127.0.0.1:11434 when it answers)" },
    config: { type: "string", description: "where to write (default: $XDG_CONFIG_HOME/hearth/sidecar.yaml or ~/.config/hearth/sidecar.yaml)" },
    force: { type: "boolean", description: "replace the URL, token and models of an existing config file (its other settings are kept)" },
    connect: { type: "boolean", default: true, description: "dial the Worker once to prove the settings", negativeDescription: "only write the file" },
    "llama-cpp": { type: "boolean", description: "install the llama.cpp add-on when GGUF models are found and it is not there (default: ask on a terminal)", negativeDescription: "do not install it" },
  },
  async run({ args }) {
    const path = resolve(args.config ?? defaultConfigPath());
    const prompt = asker();
    try {
      const exists = existsSync(path);
      if (exists && !args.force) {
        const answer = prompt ? await prompt.ask(`${path} exists. Replace its URL, token and models? (y/N)`, "N") : "N";
        if (!/^y(es)?$/i.test(answer)) return exitAfter(`${path} exists: pass --force to replace its URL, token and models (its other settings are kept)\n`, 2);
      }
      const url = args.url ?? (prompt ? await prompt.ask("Worker URL (https://….workers.dev)") : "");
      if (!url) return exitAfter(`${need("url")}\n`, 2);
      const token = args.token ?? (prompt ? await prompt.ask("Sidecar token (hs_…)") : "");
      if (!token) return exitAfter(`${need("token")}\n`, 2);
      let models = args.models?.split(",").map((s) => s.trim()).filter(Boolean);
      if (models === undefined) {
        const found = await detectModelDirs();
        const answer = prompt ? await prompt.ask("GGUF model files or directories, comma-separated (empty: none)", found.join(",")) : found.join(",");
        models = answer.split(",").map((s) => s.trim()).filter(Boolean);
      }
      models = models.map((m) => resolve(m.replace(/^~(?=\/|$)/, homedir())));
      const ollama = await chooseOllama(args.ollama);
      let settings: Record<string, unknown>;
      try {
        settings = initSettings(exists ? fromFile(path) : {}, { url, token, models, ollama: ollama?.url });
      } catch (err) {
        if (err instanceof ConfigError) return exitAfter(`not written: ${err.message}\n`, 2);
        throw err;
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, configYaml(settings), { mode: 0o600 });
      await chmod(path, 0o600); // an existing file keeps its mode on write: the token must not be readable by others
      await print(`wrote ${path}\n`);
      const ggufs = await modelsSummary(models, ollama);
      if (ggufs > 0) await offerLlamaCpp(args["llama-cpp"], prompt?.ask);
      if (!args.connect) return;
      const probe = await probeTunnel({ url: connectUrl(url), token, timeoutMs: 10_000, headers: protocolHeaders() });
      if (probe.ok) {
        const w = probe.welcome;
        await print(`connected: ${url} welcomed this sidecar in ${probe.ms} ms (protocol ${w.v}${w.version ? `, Hearth ${w.version}` : ""})\nnext: hearth-sidecar doctor, then hearth-sidecar service install\n`);
        return;
      }
      const fix = probe.failure === "unauthorized" ? `fix: ${ISSUE_TOKEN_FIX}, then run init again with --force` : "fix: check the URL (curl <url>/healthz), then run `hearth-sidecar doctor`";
      return exitAfter(`could not connect (${probe.failure}${probe.status ? ` ${probe.status}` : ""}): ${probe.message}\n${fix}\n`, 1);
    } finally {
      prompt?.close();
    }
  },
});

/** Prints the models found; returns how many GGUF files there are. */
async function modelsSummary(paths: string[], ollama: OllamaReport | undefined): Promise<number> {
  const lines: string[] = [];
  const ggufs = await inspectGgufs(paths, (await llamaCpp()).ok);
  for (const g of ggufs) {
    if (!g.ok) lines.push(`  ${g.id}: unreadable (${g.error})`);
    else lines.push(`  ${g.id} (GGUF, ${formatBytes(g.sizeBytes)}${g.read && g.trainContext ? `, context ${g.trainContext}` : ""})`);
  }
  if (ollama?.ok) for (const m of ollama.models) lines.push(`  ${m.name} (Ollama at ${ollama.url}, ${formatBytes(m.sizeBytes)})`);
  else if (ollama) lines.push(`  Ollama at ${ollama.url} does not answer (${ollama.error}): its models are served once it runs`);
  await print(lines.length > 0 ? `models this sidecar offers:\n${lines.join("\n")}\n` : "no models found yet: add .gguf files to the models directory, or run Ollama\n");
  return ggufs.length;
}

/**
 * GGUF files were found: offer the llama.cpp add-on if it is not there — installed with the flag or a
 * yes, else the command to run later (the sidecar refuses to start without it while models are set).
 */
async function offerLlamaCpp(flag: boolean | undefined, ask: Ask | undefined): Promise<void> {
  const found = await llamaCpp();
  if (found.ok) return;
  const state = found.problem === "missing" ? "" : ` (${found.why})`;
  await print(`serving GGUF files needs the llama.cpp add-on: node-llama-cpp with this machine's llama.cpp build${state}\n`);
  const yes = flag ?? (ask ? /^y(es)?$/i.test(await ask("Install it now? (Y/n)", "y")) : false);
  if (!yes) return print(`later: ${ADD_COMMAND} [--gpu auto|cpu|cuda|vulkan|metal]\n`);
  try {
    await addLlamaCpp("auto", print);
  } catch (err) {
    await print(`the add-on was not installed: ${err instanceof Error ? err.message : String(err)}\nlater: ${ADD_COMMAND}\n`);
  }
}
