/**
 * The broken answers home models give, on demand, for the fake Ollama: what reaches Ollama's
 * /api/chat client when a model writes its tool call as text (Ollama's parser did not recognise it and
 * passed the text on), calls with bad arguments or an unknown tool, JSON in prose or fences or against
 * the schema, nothing at all, or one span repeated until the length limit.
 *
 * Picked per request by `enqueueChat({ type: "answer", broken })`, by a `[[fake:<kind>]]` marker in
 * the last user message, or for every answer of a model by its `broken` setting. Never after a tool
 * result: the answer to a tool's result is the fake's usual "Tool said: …".
 */
import { pieces } from "./harness.js";
import { instanceOf } from "./json-instance.js";
import { pacedTokens } from "./paced.js";

export const BROKEN_ANSWERS = [
  /** `{"name": T, "arguments": {…}}` as the whole text. */
  "text-call",
  /** `{"name": T, "parameters": {…}}` (Llama 3's shape). */
  "text-call-parameters",
  /** `<tool_call>{…}</tool_call>` (Qwen, Hermes). */
  "text-call-tagged",
  /** `{"type": "function", "function": {"name", "arguments"}}`. */
  "text-call-function",
  /** A list of `{"name","arguments"}`, one per offered tool (at most two). */
  "text-call-list",
  /** The call in a ```json fence. */
  "text-call-fenced",
  /** A sentence, then the call in `<tool_call>` tags. */
  "text-call-after-prose",
  /** A call in `<tool_call>` tags whose JSON breaks off (Ollama leaves what it cannot parse as text). */
  "args-unparseable",
  /** A proper tool call whose arguments are a string that is not JSON (as an older or OpenAI-compatible server sends). */
  "args-string-unparseable",
  /** A proper tool call with `{}` for arguments: required fields missing. */
  "args-missing-required",
  /** A proper tool call to a tool that was not offered. */
  "tool-unknown",
  /** "Here is the JSON you asked for:" then the JSON. */
  "json-prose",
  /** The JSON in a ```json fence. */
  "json-fenced",
  /** JSON that ignores the schema (its properties missing). */
  "json-against-schema",
  /** Prose where JSON was asked for. */
  "json-not-json",
  /** No content, no call: done_reason stop. */
  "empty",
  /** One sentence repeated to the limit (num_predict, else 512 tokens): done_reason length. */
  "loop",
  /** An ordinary long answer cut by the model's context (num_predict unset, 256 tokens): done_reason length. */
  "context-cut",
] as const;
export type BrokenAnswer = (typeof BROKEN_ANSWERS)[number];

const MARKER = /\[\[fake:([a-z-]+)\]\]/;

/** The broken answer a `[[fake:<kind>]]` marker in the prompt asks for. */
export function brokenFromPrompt(prompt: string): BrokenAnswer | undefined {
  const kind = MARKER.exec(prompt)?.[1];
  return BROKEN_ANSWERS.find((k) => k === kind);
}

export interface OfferedTool {
  function: { name: string; parameters?: unknown };
}

export interface BrokenInput {
  prompt: string;
  tools: readonly OfferedTool[];
  /** /api/chat's `format`: "json" or a JSON schema. */
  format: unknown;
  numPredict: number | undefined;
}

export type FakeToolCall = { function: { name: string; arguments: object | string } };

export interface BrokenReply {
  pieces: string[];
  text: string;
  toolCalls: FakeToolCall[] | undefined;
  doneReason: "stop" | "length";
}

const DEFAULT_PARAMS = { type: "object", properties: { query: { type: "string" } }, required: ["query"] };

/** A valid call to an offered tool (the first, else a made-up `search`), arguments filled from the prompt. */
function validCall(tool: OfferedTool | undefined, prompt: string): { name: string; arguments: object } {
  const name = tool?.function.name ?? "search";
  return { name, arguments: instanceOf(tool?.function.parameters ?? DEFAULT_PARAMS, prompt) as object };
}

function jsonAnswer(format: unknown, prompt: string): object {
  return typeof format === "object" && format !== null ? (instanceOf(format, prompt) as object) : { answer: prompt };
}

const text = (t: string, doneReason: BrokenReply["doneReason"] = "stop"): BrokenReply => ({ pieces: t ? pieces(t) : [], text: t, toolCalls: undefined, doneReason });
const native = (calls: FakeToolCall[]): BrokenReply => ({ pieces: [], text: "", toolCalls: calls, doneReason: "stop" });

/** Text of `unit` repeated after `intro` to `tokens` 4-character pieces. */
function repeated(intro: string, unit: string, tokens: number): BrokenReply {
  let t = intro;
  while (t.length < tokens * 4) t += unit;
  return text(t.slice(0, tokens * 4), "length");
}

export function brokenAnswer(kind: BrokenAnswer, input: BrokenInput): BrokenReply {
  const call = validCall(input.tools[0], input.prompt);
  const json = jsonAnswer(input.format, input.prompt);
  switch (kind) {
    case "text-call":
      return text(JSON.stringify(call));
    case "text-call-parameters":
      return text(JSON.stringify({ name: call.name, parameters: call.arguments }));
    case "text-call-tagged":
      return text(`<tool_call>\n${JSON.stringify(call)}\n</tool_call>`);
    case "text-call-function":
      return text(JSON.stringify({ type: "function", function: call }));
    case "text-call-list":
      return text(JSON.stringify(input.tools.slice(0, 2).map((t) => validCall(t, input.prompt))));
    case "text-call-fenced":
      return text(`\`\`\`json\n${JSON.stringify(call, null, 2)}\n\`\`\``);
    case "text-call-after-prose":
      return text(`I'll use the ${call.name} tool for that.\n<tool_call>\n${JSON.stringify(call)}\n</tool_call>`);
    case "args-unparseable":
      return text(`<tool_call>\n${JSON.stringify(call).slice(0, -2)}\n</tool_call>`);
    case "args-string-unparseable":
      return native([{ function: { name: call.name, arguments: JSON.stringify(call.arguments).slice(0, -1) } }]);
    case "args-missing-required":
      return native([{ function: { name: call.name, arguments: {} } }]);
    case "tool-unknown":
      return native([{ function: { name: "not_an_offered_tool", arguments: call.arguments } }]);
    case "json-prose":
      return text(`Here is the JSON you asked for:\n${JSON.stringify(json)}`);
    case "json-fenced":
      return text(`\`\`\`json\n${JSON.stringify(json, null, 2)}\n\`\`\``);
    case "json-against-schema":
      return text(JSON.stringify({ unexpected: input.prompt }));
    case "json-not-json":
      return text(`Sure! The answer is: ${input.prompt}`);
    case "empty":
      return text("");
    case "loop":
      return repeated("Let me think about this. ", "I will check the kettle again. ", input.numPredict ?? 512);
    case "context-cut": {
      const tokens = pacedTokens(input.prompt, Math.min(input.numPredict ?? 256, 256));
      return { pieces: tokens, text: tokens.join(""), toolCalls: undefined, doneReason: "length" };
    }
  }
}
