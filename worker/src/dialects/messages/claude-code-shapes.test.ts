/**
 * The recorded Claude Code request (test/data/claude-code-request.json) and its Haiku-class
 * background and compaction variants, through the Messages decoder as /v1/messages decodes them
 * (schema → model map → toChatRequest → assessment with the client's model name), then the planner's
 * default hybrid rules.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { plan, type LocalModel, type PlanInput, type ProviderId, type SidecarView } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { assessRequest, routeFeatures } from "../../routing/features.js";
import { mapModel } from "./model-map.js";
import { parseMessagesRequest } from "./schema.js";
import { toChatRequest } from "./to-chat.js";

type Json = Record<string, unknown>;
const RECORDED = JSON.parse(readFileSync(join(import.meta.dirname, "../../../../test/data/claude-code-request.json"), "utf8")) as Json & { messages: Json[]; system: Json[] };

/** Claude Code's topic check, as it sends it to its small model: no tools, a short system prompt, the user's line. */
const BACKGROUND: Json = {
  ...RECORDED,
  model: "claude-3-5-haiku-20241022",
  max_tokens: 512,
  system: [{ type: "text", text: "Analyze if this message indicates a new conversation topic. If it does, extract a 2-3 word title that captures the new topic. Format your response as a JSON object with two fields: 'isNewTopic' (boolean) and 'title' (string, or null if isNewTopic is false)." }],
  tools: undefined,
  messages: [{ role: "user", content: "list the files in this repository" }],
};

/** /compact: the session so far and the summary ask, without tools. */
const COMPACTION: Json = {
  ...RECORDED,
  tools: undefined,
  messages: [
    ...RECORDED.messages,
    ...Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? "user" : "assistant", content: i % 2 ? `now fix src/file${i}.ts` : `Edited src/file${i}.ts: renamed the handler and updated its tests.` })),
    { role: "user", content: "Your task is to create a detailed summary of the conversation so far, paying close attention to the user's explicit requests and your previous actions." },
  ],
};

/** What /v1/messages does with a body before planning (messages/index.ts prepare + the pipeline's assessment). */
function decode(body: Json, modelMap?: { match: string; to: string }[]) {
  const parsed = parseMessagesRequest(body);
  const mapped = mapModel(parsed.model, modelMap, true);
  const { chat } = toChatRequest(parsed, mapped.model);
  return { chat, assessment: assessRequest(chat, undefined, parsed.model) };
}

const model = (id: string, over: Partial<LocalModel> = {}): LocalModel => ({ id, backend: "ollama", contextLength: 32_768, loaded: true, tools: true, tokensPerSecond: 0, ...over });
const home = (m: LocalModel): SidecarView[] => [{ sidecarId: "box", state: { models: [m], slots: { total: 2, free: 2 }, queue: { depth: 0, max: 2 }, loading: [], freeMemoryBytes: 16e9, draining: false }, inflight: 0, breakerAllows: true }];

function planned(body: Json, over: Partial<PlanInput> = {}) {
  // The user maps every Claude name to auto and routes in hybrid: the shape decides.
  const { chat, assessment } = decode(body, [{ match: "claude-*", to: "auto" }]);
  return plan({
    model: chat.model,
    features: routeFeatures(chat, assessment),
    policy: { mode: "hybrid" },
    privateRequest: false,
    deploymentAutoTargets: ["anthropic/claude-sonnet-4-5", "openai/gpt-4.1-mini"],
    configured: new Set<ProviderId>(["openai", "anthropic", "local"]),
    sidecars: home(model("qwen2.5-coder:7b")),
    perf: {},
    openBreakers: new Set(),
    deadlines: { cloudMs: 30_000, localMs: 10_000 },
    ...over,
  });
}

describe("the recorded Claude Code request, decoded as /v1/messages decodes it", () => {
  it("is a main agent turn: Claude Code's system prompt, 15 tools with Task", () => {
    const { chat, assessment } = decode(RECORDED);
    expect(chat.model).toBe("anthropic/claude-sonnet-4-5-20250929");
    expect(chat.tools).toHaveLength(15);
    expect(assessment.shape).toEqual({ shape: "main", evidence: ["agent system prompt", "15 tools incl. Task", expect.stringMatching(/^~\d+ tokens$/)] });
  });

  it("its Haiku-class topic check is background; its /compact is compaction", () => {
    const bg = decode(BACKGROUND);
    expect(bg.chat.model).toBe("auto"); // Haiku-class names map to auto by default
    expect(bg.assessment.shape.shape).toBe("background");
    expect(bg.assessment.shape.evidence).toContain("small model name claude-3-5-haiku-20241022");
    const compaction = decode(COMPACTION);
    expect(compaction.assessment.shape.shape).toBe("compaction");
    expect(compaction.assessment.shape.evidence).toContain("asks for a summary");
  });

  it("the default hybrid rules: background at home, compaction to the cheapest that holds it, main by home's tool record", () => {
    const bg = planned(BACKGROUND);
    expect(bg.rule?.name).toBe("agent-background-at-home");
    expect(bg.targets[0]?.id).toBe("local/qwen2.5-coder:7b");
    const compaction = planned(COMPACTION);
    expect(compaction.rule?.name).toBe("agent-compaction-cheapest");
    expect(compaction.targets.map((t) => t.id)).toEqual(["local/qwen2.5-coder:7b", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5"]);
    // A home context smaller than the session and its answer room: the cheapest cloud target first.
    const tokens = decode(COMPACTION).assessment.classification.promptTokens;
    expect(planned(COMPACTION, { sidecars: home(model("qwen2.5-coder:7b", { contextLength: tokens })) }).targets[0]?.id).toBe("openai/gpt-4.1-mini");
    // The recorded turn's home risk is ~0.78 (logit 1.25, 7B home): out by risk, its tool record unknown.
    const risky = planned(RECORDED);
    expect(risky.risk?.risk).toBeGreaterThan(0.7);
    expect(risky.rule?.name).toBe("agent-main-risky-to-cloud");
    // A poor tool record sends it out before its risk is read.
    const poor = planned(RECORDED, { toolRecord: { "qwen2.5-coder:7b": { checked: 30, passed: 15 } } });
    expect(poor.rule?.name).toBe("agent-main-tools-unreliable-to-cloud");
    expect(poor.targets[0]?.provider).toBe("anthropic");
    // A home without tool support: out before any agent rule.
    expect(planned(RECORDED, { sidecars: home(model("llama3.2:3b", { tools: false })) }).rule?.name).toBe("tools-need-cloud");
  });
});
