/**
 * Hearth's Responses objects against OpenAI's OpenAPI spec (openai/openai-openapi, openapi.json at
 * f85dbe2, 2026-08-21; MIT), for the answers Hearth translates (from home or Anthropic): whole, the
 * streamed final, and the lifecycle events' response. The spec's requirements checked here are written
 * out below as the spec states them, each with the schema it comes from.
 */
import { parseChatRequest, REASONING_EFFORTS } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { CompletionBuilder } from "../../stream/answer.js";
import type { Chunk } from "../../stream/chunks.js";
import { ResponsesEncoder, responseShell, toResponse } from "./from-chat.js";
import { parseResponsesRequest, type Json } from "./schema.js";

/** components.schemas.ReasoningEffort: anyOf [enum, null]. */
const SPEC_REASONING_EFFORT = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
/** components.schemas.ResponseUsage: required, and its details' required fields. */
const SPEC_USAGE_REQUIRED = ["input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"];
const SPEC_INPUT_DETAILS_REQUIRED = ["cached_tokens", "cache_write_tokens"];
const SPEC_OUTPUT_DETAILS_REQUIRED = ["reasoning_tokens"];
/** components.schemas.FunctionTool: required. */
const SPEC_FUNCTION_TOOL_REQUIRED = ["type", "name", "strict", "parameters"];

type Obj = Record<string, unknown>;

/** The spec's requirements on a Response object, as a list of what is wrong (empty when none). */
function slips(r: Obj, where: string): string[] {
  const out: string[] = [];
  // ModelResponseProperties.user: type string (deprecated), not nullable; absent is allowed.
  if ("user" in r && typeof r.user !== "string") out.push(`${where}.user is ${JSON.stringify(r.user)}, the spec wants a string or nothing`);
  // Response.usage: $ref ResponseUsage (an object), not nullable; absent is allowed.
  if ("usage" in r) {
    const u = r.usage as Obj | null;
    if (typeof u !== "object" || u === null) out.push(`${where}.usage is ${JSON.stringify(u)}, the spec wants a ResponseUsage object or nothing`);
    else {
      for (const k of SPEC_USAGE_REQUIRED) if (!(k in u)) out.push(`${where}.usage.${k} missing`);
      for (const k of SPEC_INPUT_DETAILS_REQUIRED) if (typeof (u.input_tokens_details as Obj | undefined)?.[k] !== "number") out.push(`${where}.usage.input_tokens_details.${k} missing`);
      for (const k of SPEC_OUTPUT_DETAILS_REQUIRED) if (typeof (u.output_tokens_details as Obj | undefined)?.[k] !== "number") out.push(`${where}.usage.output_tokens_details.${k} missing`);
    }
  }
  for (const [i, t] of ((r.tools as Obj[] | undefined) ?? []).entries()) {
    if (t.type === "function") for (const k of SPEC_FUNCTION_TOOL_REQUIRED) if (!(k in t)) out.push(`${where}.tools[${i}].${k} missing`);
  }
  return out;
}

const chunk = (delta: Json, finish: string | null = null, usage?: Json): Chunk =>
  ({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "local-model", choices: usage ? [] : [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...(usage ? { usage } : {}) }) as Chunk;

const ANSWER = [
  chunk({ role: "assistant", content: "" }),
  chunk({ content: "Hello" }),
  chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }] }),
  chunk({}, "tool_calls"),
  chunk({}, null, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } }),
];

/** A request as clients send it: a function tool without `strict`, a `user` only when `withUser`. */
const request = (withUser: boolean) =>
  parseResponsesRequest({ model: "auto", input: "hi", tools: [{ type: "function", name: "lookup", parameters: { type: "object" } }], ...(withUser ? { user: "u-1" } : {}) });

describe("Responses objects as OpenAI's OpenAPI spec defines them", () => {
  it.each([false, true])("a whole answer translated from home or Anthropic (user sent: %s)", (withUser) => {
    const answer = new CompletionBuilder();
    for (const c of ANSWER) answer.add(c);
    const r = toResponse(answer, responseShell(request(withUser), "resp_1", 1, true)) as Obj;
    expect(slips(r, "response")).toEqual([]);
    expect(r.user).toBe(withUser ? "u-1" : undefined);
    expect((r.usage as Obj).input_tokens_details).toEqual({ cached_tokens: 1, cache_write_tokens: 0 });
  });

  it("a streamed answer: every lifecycle event's response and the final one", () => {
    const enc = new ResponsesEncoder(responseShell(request(false), "resp_2", 1, false));
    const sse = ANSWER.map((c) => enc.encode(c)).join("") + enc.end();
    const events = sse
      .split("\n\n")
      .filter(Boolean)
      .map((e) => JSON.parse(e.split("\n").find((l) => l.startsWith("data: "))?.slice(6) ?? "{}") as Obj);
    const lifecycle = events.filter((e) => typeof e.response === "object");
    expect(lifecycle.map((e) => e.type)).toEqual(["response.created", "response.in_progress", "response.completed"]);
    expect(lifecycle.flatMap((e) => slips(e.response as Obj, String(e.type)))).toEqual([]);
    expect(slips(enc.final as Obj, "final")).toEqual([]);
  });

  it("accepts every ReasoningEffort the spec lists, in chat and in Responses", () => {
    expect([...REASONING_EFFORTS]).toEqual(SPEC_REASONING_EFFORT);
    for (const effort of SPEC_REASONING_EFFORT) {
      expect(parseChatRequest({ model: "auto", messages: [{ role: "user", content: "x" }], reasoning_effort: effort }).reasoning_effort).toBe(effort);
      expect(parseResponsesRequest({ model: "auto", input: "x", reasoning: { effort } }).reasoning?.effort).toBe(effort);
    }
    expect(() => parseChatRequest({ model: "auto", messages: [{ role: "user", content: "x" }], reasoning_effort: "extreme" })).toThrow(/reasoning_effort/);
  });
});
