/**
 * `pnpm tsx test/bench/checks.ts`: what the checks of an answer from home cost, per answer.
 *
 * Each case is timed --runs times (default 3,000) after --warmup runs (default 500), and reports µs per
 * answer at p50 / p99. "Whole" is checkAnswer on the accumulated answer (the non-streaming path,
 * contractOf included: it runs once per request); "streamed" feeds the answer through
 * AnswerStreamChecker in 4-character deltas (what a home stream looks like) and ends it. The tool
 * cases use the recorded Claude Code request's 15 tools (test/data/claude-code-request.json).
 * On a shared 2-core VM p99 carries the scheduler's preemptions; compare p50 across runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AnswerStreamChecker, checkAnswer, contractOf, parseChatRequest, type Answer, type ChatRequest } from "@hearth/shared";
import { ROOT } from "../support/wrangler.js";
import { summarize, table } from "./stats.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3000" }, warmup: { type: "string", default: "500" } } });
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);

interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}
const recorded = JSON.parse(readFileSync(join(ROOT, "test/data/claude-code-request.json"), "utf8")) as { tools: AnthropicTool[] };
/** The recorded request's tools as the Messages translation gives them to every other target. */
const tools = recorded.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.input_schema } }));
const request = (extra: object): ChatRequest => parseChatRequest({ model: "m", messages: [{ role: "user", content: "go" }], ...extra });

const todoArgs = JSON.stringify({
  todos: Array.from({ length: 5 }, (_, i) => ({ content: `Step ${i}: read the config and fix the parser`, status: i < 2 ? "completed" : "pending", id: String(i + 1) })),
});
const toolCall: Answer = { text: "", finishReason: "tool_calls", toolCalls: [{ id: "call_1", type: "function", function: { name: "TodoWrite", arguments: todoArgs } }] };
const callAsText: Answer = { text: `<tool_call>\n{"name": "TodoWrite", "arguments": ${todoArgs}}\n</tool_call>`, toolCalls: [], finishReason: "stop" };

const itemSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    price: { type: "number" },
    tags: { type: "array", items: { type: "string" } },
    kind: { type: "string", enum: ["tool", "part", "kit"] },
    note: { type: ["string", "null"] },
  },
  required: ["id", "name", "price", "tags", "kind", "note"],
  additionalProperties: false,
};
const inventorySchema = { type: "object", properties: { title: { type: "string" }, total: { type: "integer" }, items: { type: "array", items: itemSchema } }, required: ["title", "total", "items"], additionalProperties: false };
const inventory = { title: "Workshop inventory", total: 44, items: Array.from({ length: 44 }, (_, i) => ({ id: i, name: `Item number ${i}`, price: i * 1.5, tags: ["x", "yy", "zzz"], kind: ["tool", "part", "kit"][i % 3], note: i % 2 ? null : "fine" })) };
const json4k = JSON.stringify(inventory);
const jsonAnswer: Answer = { text: json4k, toolCalls: [], finishReason: "stop" };

const prose = readFileSync(join(ROOT, "README.md"), "utf8").slice(0, 16_384);
const zeros = `const weights = [${Array.from({ length: 5_000 }, () => "0").join(", ")}];`.slice(0, 16_384);

const toolReq = request({ tools });
const jsonReq = request({ response_format: { type: "json_schema", json_schema: { name: "inventory", schema: inventorySchema, strict: true } } });
const plainReq = request({});

function pieces(text: string, size = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** One streamed answer through the checker: every delta fed, then end(). */
function streamed(req: ChatRequest, deltas: readonly object[], finish: Answer["finishReason"]): () => unknown {
  return () => {
    const c = new AnswerStreamChecker(contractOf(req));
    for (const d of deltas) c.feed(d);
    return c.end(finish);
  };
}

const callDeltas = [{ tool_calls: [{ index: 0, id: "call_1", function: { name: "TodoWrite", arguments: "" } }] }, ...pieces(todoArgs, 12).map((a) => ({ tool_calls: [{ index: 0, function: { arguments: a } }] }))];
const cases: [string, string, () => unknown][] = [
  ["tool call (TodoWrite, 15 tools offered)", `${todoArgs.length} B args`, () => checkAnswer(toolCall, contractOf(toolReq))],
  ["tool call, streamed in 12-char deltas", `${callDeltas.length} deltas`, streamed(toolReq, callDeltas, "tool_calls")],
  ["tool call written as text → repaired", `${callAsText.text.length} B`, () => checkAnswer(callAsText, contractOf(toolReq))],
  ["4 KB JSON vs strict json_schema", `${json4k.length} B`, () => checkAnswer(jsonAnswer, contractOf(jsonReq))],
  ["4 KB JSON, streamed in 4-char deltas", `${Math.ceil(json4k.length / 4)} deltas`, streamed(jsonReq, pieces(json4k).map((content) => ({ content })), "stop")],
  ["16 KB prose, streamed (loop watch only)", `${Math.ceil(prose.length / 4)} deltas`, streamed(plainReq, pieces(prose).map((content) => ({ content })), "stop")],
  ["16 KB of 0, 0, … streamed (loop watch worst case)", `${Math.ceil(zeros.length / 4)} deltas`, streamed(plainReq, pieces(zeros).map((content) => ({ content })), "stop")],
];

function time(fn: () => unknown): number[] {
  for (let i = 0; i < WARMUP; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    fn();
    out.push((performance.now() - t) * 1000);
  }
  return out;
}

const rows = cases.map(([name, size, fn]) => {
  const s = summarize(time(fn));
  return [name, size, s.p50, s.p99];
});
console.log(`checks per answer, µs (${RUNS} runs after ${WARMUP} warm-up, Node ${process.version})\n`);
console.log(table(["case", "size", "p50 µs", "p99 µs"], rows));
