/**
 * A protocol-faithful fake of OpenAI's Chat Completions API for tests and benchmarks: same paths,
 * auth, JSON and SSE shapes, error bodies and retry-after headers, with scripted faults (harness.ts).
 * Also POST /v1/embeddings (openai-embeddings.ts) and POST /v1/responses (openai-responses.ts).
 */
import type { ServerResponse } from "node:http";
import { fakeReply, longAnswer, pieces, sseWriter, startFake, type FakeContext, type FakeServer } from "./harness.js";
import { instanceOf } from "./json-instance.js";
import { embeddings } from "./openai-embeddings.js";
import { responses } from "./openai-responses.js";

export interface FakeOpenAIOptions {
  port?: number;
  /** The API key the fake accepts. Default: "test-openai-key". */
  apiKey?: string;
}

interface Msg {
  role: string;
  content?: unknown;
  tool_call_id?: string;
}
interface Body {
  model?: unknown;
  messages?: Msg[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { function: { name: string } }[];
  tool_choice?: string | { function: { name: string } };
  response_format?: { type: string; json_schema?: { schema?: unknown } };
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "invalid_request_error",
  404: "invalid_request_error",
  429: "rate_limit_exceeded",
  500: "server_error",
  503: "server_error",
};

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, extra: { param?: string; code?: string } = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { message, type: ERROR_TYPES[status] ?? "server_error", param: extra.param ?? null, code: extra.code ?? null } }));
}

const text = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p: { type?: string; text?: string }) => (p.type === "text" ? (p.text ?? "") : "")).join("")
      : "";

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

let counter = 0;

function handle({ req, res, body: raw, fault }: FakeContext, apiKey: string): void {
  const known = req.method === "POST" && (req.url === "/v1/chat/completions" || req.url === "/v1/embeddings" || req.url === "/v1/responses");
  if (!known) return sendError(res, 404, `Unknown path ${req.url}`);
  if (req.headers.authorization !== `Bearer ${apiKey}`) return sendError(res, 401, "Incorrect API key provided.");
  if (fault?.type === "status") {
    const headers: Record<string, string> = fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
    return sendError(res, fault.status, fault.message ?? `Injected ${fault.status}`, headers);
  }
  if (req.url === "/v1/embeddings") return embeddings(res, raw, (r, status, message, extra) => sendError(r, status, message, {}, extra));
  if (req.url === "/v1/responses") return responses(res, raw, fault, (r, status, message, extra) => sendError(r, status, message, {}, extra));
  const body = raw as Body;
  if (typeof body?.model !== "string") return sendError(res, 400, "you must provide a model parameter");
  if (!Array.isArray(body.messages) || body.messages.length === 0) return sendError(res, 400, "'messages' must be a non-empty array");

  const last = body.messages[body.messages.length - 1];
  const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
  const forced = typeof body.tool_choice === "object" ? body.tool_choice.function.name : undefined;
  const long = body.tools?.length ? undefined : longAnswer(text(lastUser?.content));
  const said = long ? { text: long.join("") } : fakeReply(
    text(lastUser?.content),
    (body.tools ?? []).map((t) => ({ name: t.function.name })),
    last?.role === "tool" ? text(last.content) : undefined,
    forced,
    body.tool_choice === "none",
  );
  // Structured outputs: JSON that fills the schema (strict json_schema), or an object (json_object).
  const format = body.response_format;
  const reply =
    "text" in said && format?.type === "json_schema"
      ? { text: JSON.stringify(instanceOf(format.json_schema?.schema ?? {}, text(lastUser?.content))) }
      : "text" in said && format?.type === "json_object"
        ? { text: JSON.stringify({ echo: text(lastUser?.content) }) }
        : said;
  const id = `chatcmpl-fake${++counter}`;
  const created = Math.floor(Date.now() / 1000);
  const promptTokens = tokens(body.messages.map((m) => text(m.content)).join(" "));
  const completionText = "text" in reply ? reply.text : reply.toolCall.arguments;
  const usage = { prompt_tokens: promptTokens, completion_tokens: tokens(completionText), total_tokens: promptTokens + tokens(completionText) };
  const finish = "text" in reply ? "stop" : "tool_calls";
  const toolCall = "toolCall" in reply ? { id: `call_fake${counter}`, type: "function", function: reply.toolCall } : undefined;

  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json", "x-request-id": `req_${counter}` });
    res.end(
      JSON.stringify({
        id,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "text" in reply ? reply.text : null, refusal: null, ...(toolCall ? { tool_calls: [toolCall] } : {}) },
            logprobs: null,
            finish_reason: finish,
          },
        ],
        usage,
        system_fingerprint: "fp_fake",
      }),
    );
    return;
  }

  res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": `req_${counter}` });
  const includeUsage = body.stream_options?.include_usage === true;
  const send = sseWriter(res, fault);
  const chunk = (delta: object, finish_reason: string | null = null) =>
    JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created,
      model: body.model,
      system_fingerprint: "fp_fake",
      choices: [{ index: 0, delta, logprobs: null, finish_reason }],
      ...(includeUsage ? { usage: null } : {}),
    });
  if (!send(chunk({ role: "assistant", content: "", refusal: null }))) return;
  if ("text" in reply) {
    for (const p of long ?? pieces(reply.text)) if (!send(chunk({ content: p }))) return;
  } else if (toolCall) {
    if (!send(chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: "function", function: { name: toolCall.function.name, arguments: "" } }] }))) return;
    for (const p of pieces(toolCall.function.arguments, 6)) if (!send(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }))) return;
  }
  if (!send(chunk({}, finish))) return;
  if (includeUsage && !send(JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices: [], usage }))) return;
  if (!send("[DONE]")) return;
  res.end();
}

export function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeServer> {
  const apiKey = opts.apiKey ?? "test-openai-key";
  return startFake((ctx) => handle(ctx, apiKey), opts.port);
}
