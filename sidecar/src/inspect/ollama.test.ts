import { describe, expect, it } from "vitest";
import { ollamaUrlFromEnv } from "./ollama.js";

describe("OLLAMA_HOST as the Ollama CLI reads it", () => {
  it.each([
    [undefined, "http://127.0.0.1:11434"],
    ["", "http://127.0.0.1:11434"],
    ["0.0.0.0", "http://127.0.0.1:11434"],
    ["0.0.0.0:11500", "http://127.0.0.1:11500"],
    [":11500", "http://127.0.0.1:11500"],
    ["box.lan", "http://box.lan:11434"],
    ["http://box.lan:8080", "http://box.lan:8080"],
    ["https://ollama.example.com", "https://ollama.example.com"],
  ])("%s → %s", (host, url) => {
    expect(ollamaUrlFromEnv(host === undefined ? {} : { OLLAMA_HOST: host })).toBe(url);
  });
});
