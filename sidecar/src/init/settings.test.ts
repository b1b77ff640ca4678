import { describe, expect, it } from "vitest";
import { ConfigError, fromFile } from "../config.js";
import { candidateModelDirs, configYaml, initSettings } from "./settings.js";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const answers = { url: "https://hearth.example.workers.dev", token: "hs_0123456789abcdef", models: ["/srv/models"], ollama: undefined };

describe("init's settings", () => {
  it("keeps an existing file's other settings and replaces what init asks for", () => {
    const out = initSettings({ url: "https://old.dev", token: "hs_old_old_old", slots: 4, ollama: "http://127.0.0.1:11434", tags: { m: ["code"] } }, answers);
    expect(out).toEqual({ url: answers.url, token: answers.token, models: ["/srv/models"], slots: 4, tags: { m: ["code"] } });
  });

  it("refuses settings the sidecar would refuse, naming them", () => {
    expect(() => initSettings({}, { ...answers, models: [], ollama: undefined })).toThrow(/nothing to serve/);
    expect(() => initSettings({}, { ...answers, url: "not a url" })).toThrow(ConfigError);
    expect(() => initSettings({}, { ...answers, token: "short" })).toThrow(/'token'/);
  });

  it("writes YAML the sidecar reads back as written, with only Ollama when there are no GGUF models", async () => {
    const settings = initSettings({}, { ...answers, models: [], ollama: "http://127.0.0.1:11434" });
    expect(settings).toEqual({ url: answers.url, token: answers.token, ollama: "http://127.0.0.1:11434" });
    const path = join(await mkdtemp(join(tmpdir(), "hearth-init-")), "sidecar.yaml");
    await writeFile(path, configYaml(settings));
    expect(fromFile(path)).toEqual(settings);
  });

  it("looks for GGUF files where people keep them", () => {
    expect(candidateModelDirs("/home/ann")).toEqual(["/home/ann/models", "/home/ann/.cache/llama.cpp", "/home/ann/.lmstudio/models", "/home/ann/.cache/lm-studio/models"]);
  });
});
