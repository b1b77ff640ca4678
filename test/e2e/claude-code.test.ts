/**
 * A Claude-Code-shaped conversation replayed against all three kinds of target through POST
 * /v1/messages, over raw HTTP as Claude Code sends it: its headers (anthropic-version 2023-06-01,
 * its betas), system blocks with cache_control, 15 tools with draft-07 schemas, streaming — then a
 * tool round trip. The stream must be Anthropic's event sequence exactly: message_start, for each
 * block content_block_start → deltas → content_block_stop, message_delta, message_stop.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { ROOT, cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";
import { parseMessagesRequest } from "../../worker/src/dialects/messages/schema.js";
import { toChatRequest } from "../../worker/src/dialects/messages/to-chat.js";

type Json = Record<string, unknown>;
const RECORDED = JSON.parse(readFileSync(join(ROOT, "test/data/claude-code-request.json"), "utf8")) as Json & { messages: Json[] };

let openai: FakeServer;
let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
const users = {} as Record<"anthropic" | "home" | "openai", User>;

beforeAll(async () => {
  [openai, anthropic, ollama] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeOllama()]);
  ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
  worker = await startWorker({ vars: cloudVars(openai, anthropic) });
  users.anthropic = await worker.createUser("cc-anthropic");
  users.home = await worker.createUser("cc-home", { modelMap: [{ match: "claude-*", to: "local/llama3.2:latest" }] });
  users.openai = await worker.createUser("cc-openai", { modelMap: [{ match: "claude-*", to: "openai/gpt-4o-mini" }] });
  sidecar = await startSidecar({ workerUrl: worker.url, token: users.home.sidecarToken, apiKey: users.home.apiKey, ollama: ollama.url, expectModels: 2 });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), ollama?.close()]);
});

/** POSTs as Claude Code does and returns the SSE events, each { event, data }. */
async function replay(u: User, body: Json): Promise<{ status: number; target: string | null; events: { event: string; data: Json }[] }> {
  const r = await fetch(`${worker.url}/v1/messages`, {
    method: "POST",
    headers: {
      "x-api-key": u.apiKey,
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14",
      "content-type": "application/json",
      "user-agent": "claude-cli/2.0.0 (external, cli)",
    },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  const events = text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(b)?.[1] ?? "{}") as Json;
      return { event, data };
    });
  return { status: r.status, target: r.headers.get("x-hearth-target"), events };
}

/** Checks Anthropic's event grammar and folds the events into content blocks. */
function fold(events: { event: string; data: Json }[]): { blocks: Json[]; stop: unknown } {
  const names = events.map((e) => e.event).filter((n) => n !== "ping");
  expect(names[0]).toBe("message_start");
  expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);
  for (const e of events) expect(e.data.type).toBe(e.event);
  const blocks: Json[] = [];
  const json = new Map<number, string>();
  let open: number | undefined;
  for (const { event, data } of events) {
    const i = Number(data.index);
    if (event === "content_block_start") {
      expect(open).toBeUndefined();
      open = i;
      blocks[i] = { ...(data.content_block as Json) };
    } else if (event === "content_block_delta") {
      expect(i).toBe(open);
      const d = data.delta as Json;
      const b = blocks[i] as Json;
      if (d.type === "text_delta") b.text = String(b.text) + String(d.text);
      if (d.type === "input_json_delta") json.set(i, (json.get(i) ?? "") + String(d.partial_json));
    } else if (event === "content_block_stop") {
      expect(i).toBe(open);
      open = undefined;
      if (json.has(i)) (blocks[i] as Json).input = JSON.parse(json.get(i) || "{}");
    }
  }
  const delta = events.find((e) => e.event === "message_delta")?.data.delta as Json;
  return { blocks, stop: delta.stop_reason };
}

describe.each([
  ["Anthropic", "anthropic", "anthropic/claude-sonnet-4-5-20250929"],
  ["home", "home", "local/llama3.2:latest"],
  ["OpenAI", "openai", "openai/gpt-4o-mini"],
] as const)("a Claude Code conversation served by %s", (_name, who, target) => {
  it("streams a tool call in Anthropic's event sequence, then answers the tool result", async () => {
    const first = await replay(users[who], RECORDED);
    expect(first.status).toBe(200);
    expect(first.target).toBe(target);
    const turn1 = fold(first.events);
    expect(turn1.stop).toBe("tool_use");
    const use = turn1.blocks.find((b) => b.type === "tool_use");
    // Every fake calls the first tool offered (Task) with the last user text: the cloud fakes as its
    // query, the home fake (whose calls Hearth checks against the tool's schema) in each required field.
    expect(use).toMatchObject({ type: "tool_use", name: "Task" });
    const input = use?.input as Json;
    expect(who === "home" ? input.prompt : input.query).toContain("list the files in this repository");
    if (who === "home") expect(Object.keys(input).sort()).toEqual(["description", "prompt", "subagent_type"]);

    const followUp = {
      ...RECORDED,
      messages: [
        ...RECORDED.messages,
        { role: "assistant", content: turn1.blocks },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use?.id, content: "README.md\npackage.json" }] },
      ],
    };
    const second = await replay(users[who], followUp);
    expect(second.status).toBe(200);
    const turn2 = fold(second.events);
    expect(turn2.stop).toBe("end_turn");
    expect(turn2.blocks).toEqual([{ type: "text", text: "Tool said: README.md\npackage.json" }]);
  });
});

describe("what reaches Anthropic", () => {
  it("is the recorded body itself: system blocks with cache_control, all 15 tools, the betas", async () => {
    anthropic.reset();
    await replay(users.anthropic, RECORDED);
    const sent = anthropic.requests[0];
    expect(sent?.headers["anthropic-beta"]).toBe("claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14");
    expect(sent?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent?.body).toEqual({ ...RECORDED, model: "claude-sonnet-4-5-20250929" });
  });
});

/** Claude Code's topic check to its small model, and its /compact: variants of the recorded request. */
const BACKGROUND: Json = {
  ...RECORDED,
  model: "claude-3-5-haiku-20241022",
  max_tokens: 512,
  system: [{ type: "text", text: "Analyze if this message indicates a new conversation topic. If it does, extract a 2-3 word title that captures the new topic. Format your response as a JSON object with two fields: 'isNewTopic' (boolean) and 'title' (string, or null if isNewTopic is false)." }],
  tools: undefined,
  messages: [{ role: "user", content: "list the files in this repository" }],
};
const COMPACTION: Json = {
  ...RECORDED,
  tools: undefined,
  messages: [
    ...RECORDED.messages,
    ...Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? "user" : "assistant", content: i % 2 ? `now fix src/file${i}.ts` : `Edited src/file${i}.ts: renamed the handler and updated its tests.` })),
    { role: "user", content: "Your task is to create a detailed summary of the conversation so far, paying close attention to the user's explicit requests and your previous actions." },
  ],
};

describe("agent shapes of the recorded conversation, routed by the default hybrid rules", () => {
  beforeAll(async () => {
    // The home user, now in hybrid with every Claude name meaning auto: the shape decides (its sidecar stays connected).
    const r = await worker.admin("PUT", `/users/${users.home.id}/policy`, { mode: "hybrid", modelMap: [{ match: "claude-*", to: "auto" }] });
    expect(r.status).toBe(200);
  });

  const post = (body: Json) =>
    fetch(`${worker.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": users.home.apiKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ ...body, stream: false }),
    });

  it("the Haiku-class background call stays home (agent-background-at-home)", async () => {
    const r = await post(BACKGROUND);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-rule")).toBe("agent-background-at-home");
    expect(r.headers.get("x-hearth-target")).toBe("local/llama3.2:latest");
  });

  it("the compaction goes to the cheapest target whose context holds it: home", async () => {
    const r = await post(COMPACTION);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-rule")).toBe("agent-compaction-cheapest");
    expect(r.headers.get("x-hearth-target")).toBe("local/llama3.2:latest");
  });

  it("the recorded turn is a main turn, and the real request follows the rule explain gives for it", async () => {
    const { chat } = toChatRequest(parseMessagesRequest(RECORDED), "auto");
    const e = await fetch(`${worker.url}/v1/route/explain`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.home.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(chat),
    });
    expect(e.status).toBe(200);
    const plan = (await e.json()) as { rule: { name: string } | null; features: { agent_shape: { shape: string; evidence: string[] } } };
    expect(plan.features.agent_shape).toEqual({ shape: "main", evidence: ["agent system prompt", "15 tools incl. Task", expect.stringMatching(/^~\d+ tokens$/)] });
    const r = await post(RECORDED);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-rule")).toBe(plan.rule?.name);
    expect(r.headers.get("x-hearth-rule")).not.toMatch(/background|compaction/);
  });
});
