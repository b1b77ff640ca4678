/**
 * tool_choice `required` or a named function, which neither Ollama nor node-llama-cpp can enforce:
 * the call is asked for as structured output. The schema is the call's — the tool's parameters, or
 * for a choice among several tools `{name, arguments}` per tool — and the backend's grammar (Ollama's
 * `format`, a node-llama-cpp JSON-schema grammar) holds the model to it, so the arguments validate by
 * construction; the JSON it writes becomes the tool call. The tools are described in a system
 * message instead of as tools, so no template also tries to read the JSON as a call in its own
 * format. Pure, but for the id of the call.
 */
import type { ChatRequest, ChatTool } from "@hearth/shared";
import { BackendError, type GenerationEvent } from "./types.js";

export interface ForcedCall {
  /** The tools the model must choose from (one when a function is named). */
  tools: ChatTool[];
  /** The JSON schema of what the model may write (Ollama's `format`, node-llama-cpp's grammar). */
  format: Record<string, unknown>;
  /** What the system message tells the model. */
  instruction: string;
}

const ANY_OBJECT = { type: "object" };

/** The forced call a request asks for, or undefined when the model may answer as it likes. */
export function forcedCall(req: ChatRequest): ForcedCall | undefined {
  const choice = req.tool_choice;
  if (!req.tools?.length || choice == null || choice === "auto" || choice === "none") return undefined;
  const tools = typeof choice === "object" ? req.tools.filter((t) => t.function.name === choice.function.name) : req.tools;
  if (tools.length === 0) throw new BackendError("unsupported", `tool_choice names '${typeof choice === "object" ? choice.function.name : ""}', which is not among the tools`);
  const described = JSON.stringify(tools.map((t) => t.function));
  const [only] = tools;
  if (tools.length === 1 && only) {
    return {
      tools,
      format: only.function.parameters ?? ANY_OBJECT,
      instruction: `Call the function ${only.function.name} now. Reply with its arguments only, as one JSON object.\nThe function: ${described}`,
    };
  }
  // oneOf, which node-llama-cpp's grammar reads (it has no anyOf); the names make the branches disjoint.
  const oneOf = tools.map((t) => ({
    type: "object",
    properties: { name: { const: t.function.name }, arguments: t.function.parameters ?? ANY_OBJECT },
    required: ["name", "arguments"],
  }));
  return {
    tools,
    format: { oneOf },
    instruction: `Call one of these functions now. Reply with one JSON object: {"name": <the function's name>, "arguments": <its arguments>}.\nThe functions: ${described}`,
  };
}

/** The call the JSON names: `{name, arguments}` among several tools, the arguments themselves for one. */
function callOf(json: string, forced: ForcedCall): { name: string; arguments: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const [only] = forced.tools;
  if (forced.tools.length === 1 && only) return { name: only.function.name, arguments: JSON.stringify(value) };
  const v = value as { name?: unknown; arguments?: unknown };
  if (!forced.tools.some((t) => t.function.name === v.name)) return undefined;
  return { name: String(v.name), arguments: JSON.stringify(v.arguments ?? {}) };
}

/**
 * The model's JSON (held, with progress events meanwhile) → one tool call and finish reason
 * tool_calls. JSON that is not a call (cut by the length limit) goes on as the text it is, for the
 * Worker's checks to judge.
 */
export async function* asToolCall(events: AsyncIterable<GenerationEvent>, forced: ForcedCall, newId: () => string): AsyncGenerator<GenerationEvent> {
  let text = "";
  for await (const e of events) {
    if (e.type === "text") {
      text += e.text;
      yield { type: "progress" };
      continue;
    }
    if (e.type !== "end") {
      yield e;
      continue;
    }
    const call = callOf(text, forced);
    if (!call) {
      if (text) yield { type: "text", text };
      yield e;
      return;
    }
    yield { type: "tool_call", index: 0, id: newId(), ...call };
    yield { ...e, finishReason: "tool_calls" };
  }
}
