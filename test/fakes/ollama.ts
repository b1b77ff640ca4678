/**
 * A protocol-faithful fake of Ollama's native API (/api/tags, /api/ps, /api/show, /api/chat,
 * /api/embed, /api/version) for tests: same paths, JSON and NDJSON shapes, error bodies and status
 * codes, with scripted faults (harness.ts). No Ollama server can be installed where Hearth is tested, so this is
 * what the Ollama backend is proven against.
 */
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { mulberry32 } from "../../scripts/lib/prng.js";
import { fakeReply, pieces, startFake, type Fault, type FakeContext, type FakeServer, type RecordedRequest } from "./harness.js";
import { instanceOf } from "./json-instance.js";
import { brokenAnswer, brokenFromPrompt, type BrokenAnswer, type FakeToolCall } from "./ollama-broken.js";
import { embedAnswer } from "./ollama-embed.js";
import { cutNow, draw, pacedTokens, sendPaced, sleep, type Pace, type Spread } from "./paced.js";

export { pacedAnswer, pacedTokens, type Spread } from "./paced.js";
export { BROKEN_ANSWERS, type BrokenAnswer } from "./ollama-broken.js";

export interface FakeOllamaModel {
  /** As `ollama list` shows it; a name without a tag means `:latest`. */
  name: string;
  /** details.family and general.architecture. Default: "llama". */
  family?: string;
  /** `<family>.context_length` in /api/show's model_info. Default: 4096. */
  contextLength?: number;
  /** Lists "tools" in /api/show's capabilities; without it a chat with tools answers 400. Default: false. */
  tools?: boolean;
  /** Bytes, for /api/tags and /api/ps. Default: 1_000_000_000. */
  size?: number;
  /**
   * An embedding model (as nomic-embed-text): /api/show lists only the "embedding" capability,
   * /api/embed answers with fakeVector's vectors, /api/chat refuses it. Default: false (a chat model,
   * which /api/embed refuses, as current Ollama does).
   */
  embedding?: boolean;
  /** `<family>.embedding_length` in /api/show, and the length of /api/embed's vectors. Default: 768 for an embedding model, else 2048. */
  embeddingLength?: number;
  /**
   * A chat for the model while it is not loaded waits this long, as Ollama does while it loads it; chats
   * arriving meanwhile wait for the same load, which finishes even if they all leave. Default: 0.
   */
  loadMs?: number;
  /** Pause between streamed lines, to make a stream slow enough to abort. Ignored once the model is paced. Default: 0. */
  chunkDelayMs?: number;
  /**
   * Pacing, as a home on a CPU (paced.ts). Setting any of the next four makes the model paced; unset,
   * it answers at once as before.
   *
   * Time from the (loaded) model taking the request to its first content line, in ms: fixed, or a
   * [min, max] range drawn per request from the fake's seeded PRNG. Default: 0.
   */
  firstTokenMs?: Spread;
  /** Content lines (tokens) per second after the first: fixed or a range drawn per request. Default: unlimited. */
  tokensPerSecond?: Spread;
  /**
   * The answer's length in tokens, one per line: a deterministic long answer derived from the prompt
   * (`pacedAnswer(prompt, answerTokens)`; a range picks the length from the prompt too). Tool calls and
   * tool results answer as before. Default: the "Echo: …" answer, in its 4-character pieces.
   */
  answerTokens?: Spread;
  /**
   * Every answer of this model (but those to a tool's result) is this broken one (ollama-broken.ts),
   * as a model that always writes its tool calls as text. Default: none.
   */
  broken?: BrokenAnswer;
  /**
   * Multiplies every time of this model (firstTokenMs, the time per token, loadMs, and those of a
   * scripted `pace`): 0.2 runs "0.5–5 s to the first token, 5–30 tokens/s" 5× faster. Default: 1.
   */
  timeScale?: number;
}

/**
 * What enqueueChat can script for one chat: the harness's faults, and
 *   - stall: send `afterEvents` lines, then nothing for `resumeAfterMs` ms of wall time (default:
 *     ever), the connection open — a hung driver, a stalled Ollama. With 0 nothing at all is sent, as
 *     when it hangs before its first token (after the model load, unlike `hang`);
 *   - pace: this request's time to first token and speed instead of the model's (scaled as the model's).
 *   - answer: a broken answer of that kind (a tool call as text, bad arguments, JSON in prose, a loop…).
 * A stall, pace or answer makes that one answer paced even on a model that is not. A `[[fake:<kind>]]`
 * marker in the last user message picks a broken answer too, without scripting.
 */
export type OllamaFault =
  | Fault
  | { type: "stall"; afterEvents: number; resumeAfterMs?: number }
  | { type: "pace"; firstTokenMs?: Spread; tokensPerSecond?: Spread }
  /** This answer is a broken one (ollama-broken.ts), paced as the model is. */
  | { type: "answer"; broken: BrokenAnswer };

export interface FakeOllamaOptions {
  port?: number;
  /** Seeds the PRNG that paced models draw their per-request ranges from. Default: 1. */
  seed?: number;
  /** Default: one tools-capable "llama3.2:latest" (context 131072) and "tinyllama:latest" (context 2048). */
  models?: FakeOllamaModel[];
}

export interface FakeOllama extends FakeServer {
  models: FakeOllamaModel[];
  /** Loaded model name → when it unloads (ms since epoch). A model loads on its first chat. */
  loaded: Map<string, number>;
  /**
   * Script faults for the next /api/chat requests only, one each, in order. Discovery requests
   * (/api/tags, /api/ps, /api/show), which a sidecar makes on its own schedule, never take them —
   * unlike `enqueue`, whose faults go to whichever request comes next.
   */
  enqueueChat(...faults: OllamaFault[]): void;
  /** The same for the next /api/embed requests (harness faults: status, delay, hang, reset, cut). */
  enqueueEmbed(...faults: Fault[]): void;
}

const DEFAULT_MODELS: FakeOllamaModel[] = [
  { name: "llama3.2:latest", contextLength: 131072, tools: true, size: 2_019_393_189 },
  { name: "tinyllama:latest", contextLength: 2048, size: 637_700_138 },
];

const VERSION = "0.12.6";
/** Ollama's answer when OLLAMA_MAX_QUEUE is exceeded (two spaces included, as Ollama writes it). */
const QUEUE_FULL = "server busy, please try again.  maximum pending requests exceeded";
const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
const FOREVER_MS = 100 * 365 * 24 * 3_600_000;

const withTag = (name: string) => (name.includes(":") ? name : `${name}:latest`);
const digestOf = (name: string) => createHash("sha256").update(name).digest("hex");
const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
const sendError = (res: ServerResponse, status: number, error: string) => sendJson(res, status, { error });

function details(m: FakeOllamaModel) {
  const family = m.family ?? "llama";
  return { parent_model: "", format: "gguf", family, families: [family], parameter_size: "1.2B", quantization_level: "Q4_K_M" };
}

function tagEntry(m: FakeOllamaModel) {
  const name = withTag(m.name);
  return { name, model: name, modified_at: "2025-01-15T10:00:00.000000000Z", size: m.size ?? 1_000_000_000, digest: digestOf(name), details: details(m) };
}

/** keep_alive as Ollama reads it: seconds as a number, a Go duration string, negative = forever. */
export function keepAliveMs(v: unknown): number {
  if (typeof v === "number") return v < 0 ? FOREVER_MS : v * 1000;
  if (typeof v !== "string") return DEFAULT_KEEP_ALIVE_MS;
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) return DEFAULT_KEEP_ALIVE_MS;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return n < 0 ? FOREVER_MS : n * unit;
}

function show(res: ServerResponse, m: FakeOllamaModel) {
  const family = m.family ?? "llama";
  sendJson(res, 200, {
    license: "fake license",
    modelfile: `# Modelfile generated by "ollama show"\nFROM ${withTag(m.name)}\n`,
    parameters: 'stop                           "<|eot_id|>"',
    template: m.tools ? "{{ if .Tools }}{{ .Tools }}{{ end }}{{ .Prompt }}" : "{{ .Prompt }}",
    details: details(m),
    model_info: {
      "general.architecture": family,
      "general.parameter_count": 1_235_814_432,
      [`${family}.context_length`]: m.contextLength ?? 4096,
      [`${family}.embedding_length`]: embeddingLengthOf(m),
      [`${family}.block_count`]: 16,
    },
    capabilities: m.embedding ? ["embedding"] : m.tools ? ["completion", "tools"] : ["completion"],
    modified_at: "2025-01-15T10:00:00.000000000Z",
  });
}

function ps(res: ServerResponse, fake: FakeOllama) {
  const now = Date.now();
  const models = fake.models.flatMap((m) => {
    const expires = fake.loaded.get(withTag(m.name));
    if (expires === undefined || expires <= now) return [];
    return [{ ...tagEntry(m), expires_at: new Date(expires).toISOString(), size_vram: m.size ?? 1_000_000_000 }];
  });
  sendJson(res, 200, { models });
}

function handle(ctx: FakeContext, fake: FakeOllama): Promise<void> | void {
  const { req, res, fault, body } = ctx;
  const path = (req.url ?? "/").split("?")[0];
  if (fault?.type === "status") return sendError(res, fault.status, fault.message ?? (fault.status === 503 ? QUEUE_FULL : `injected ${fault.status}`));
  if (path === "/" && (req.method === "GET" || req.method === "HEAD")) {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("Ollama is running");
  }
  if (req.method === "GET" && path === "/api/version") return sendJson(res, 200, { version: VERSION });
  if (req.method === "GET" && path === "/api/tags") return sendJson(res, 200, { models: fake.models.map(tagEntry) });
  if (req.method === "GET" && path === "/api/ps") return ps(res, fake);
  const find = (name: unknown) => (typeof name === "string" ? fake.models.find((m) => withTag(m.name) === withTag(name)) : undefined);
  if (req.method === "POST" && path === "/api/show") {
    const b = body as { model?: unknown; name?: unknown } | undefined;
    const name = b?.model ?? b?.name;
    const m = find(name);
    return m ? show(res, m) : sendError(res, 404, `model '${String(name)}' not found`);
  }
  if (req.method === "POST" && path === "/api/chat") {
    const own = chatState.get(fake)?.faults.shift();
    return own ? chatWithFault(ctx, own, fake, find) : chat(ctx, fake, find);
  }
  if (req.method === "POST" && path === "/api/embed") return embed(ctx, fake, find, chatState.get(fake)?.embedFaults.shift());
  return sendError(res, 404, "404 page not found");
}

interface ChatState {
  faults: OllamaFault[];
  /** What enqueueEmbed scripted. */
  embedFaults: Fault[];
  /** The PRNG paced models draw their ranges from. */
  rand: () => number;
  /** Loads in progress, by model name: every chat for that model waits for the same one. */
  loads: Map<string, Promise<void>>;
  /** Bumped by reset(), so a load begun before it does not mark its model loaded after. */
  generation: number;
}

/** Per fake: what enqueueChat scripted, the pacing PRNG, the loads in progress. */
const chatState = new WeakMap<FakeOllama, ChatState>();

/**
 * Loads a model as Ollama's scheduler does: once, however many chats wait for it, and to the end even
 * if the chat that asked for it has gone (the model then stays loaded for the default keep_alive).
 */
function loadModel(fake: FakeOllama, name: string, ms: number): Promise<void> {
  const state = chatState.get(fake);
  if (!state) return sleep(ms);
  const pending = state.loads.get(name);
  if (pending) return pending;
  const generation = state.generation;
  const load = sleep(ms).then(() => {
    state.loads.delete(name);
    if (state.generation === generation) fake.loaded.set(name, Date.now() + DEFAULT_KEEP_ALIVE_MS);
  });
  state.loads.set(name, load);
  return load;
}

type Find = (name: unknown) => FakeOllamaModel | undefined;

const embeddingLengthOf = (m: FakeOllamaModel) => m.embeddingLength ?? (m.embedding ? 768 : 2048);

/** /api/embed: the model loads as for a chat (and stays for keep_alive); the answer comes whole. */
async function embed(ctx: FakeContext, fake: FakeOllama, find: Find, fault: Fault | undefined) {
  const { res } = ctx;
  if (fault?.type === "hang") return;
  if (fault?.type === "reset" || fault?.type === "cut") return void ctx.req.socket.destroy();
  if (fault?.type === "delay") await sleep(fault.ms);
  if (fault?.type === "status") return sendError(res, fault.status, fault.message ?? (fault.status === 503 ? QUEUE_FULL : `injected ${fault.status}`));
  const body = (ctx.body ?? {}) as { model?: unknown; keep_alive?: unknown };
  if (typeof body.model !== "string" || body.model === "") return sendError(res, 400, "model is required");
  const m = find(body.model);
  if (!m) return sendError(res, 404, `model "${body.model}" not found, try pulling it first`);
  const name = withTag(m.name);
  const loadStarted = Date.now();
  if (!((fake.loaded.get(name) ?? 0) > Date.now()) && m.loadMs) await loadModel(fake, name, m.loadMs * (m.timeScale ?? 1));
  if (res.destroyed) return;
  const keep = keepAliveMs(body.keep_alive);
  if (keep > 0) fake.loaded.set(name, Date.now() + keep);
  else fake.loaded.delete(name);
  const answer = embedAnswer(ctx.body, { name, embedding: m.embedding === true, contextLength: m.contextLength ?? 4096, embeddingLength: embeddingLengthOf(m) }, (Date.now() - loadStarted) * 1e6);
  if (answer.status !== 200) return sendError(res, answer.status, answer.error);
  sendJson(res, 200, answer.body);
}

/** A chat-only fault, applied as the harness applies the same fault to any request. */
async function chatWithFault(ctx: FakeContext, f: OllamaFault, fake: FakeOllama, find: Find) {
  switch (f.type) {
    case "status":
      return sendError(ctx.res, f.status, f.message ?? (f.status === 503 ? QUEUE_FULL : `injected ${f.status}`));
    case "hang":
      return;
    case "reset":
      return void ctx.req.socket.destroy();
    case "delay":
      await sleep(f.ms);
      if (ctx.res.destroyed) return;
      return chat(ctx, fake, find);
    case "cut":
      return chat({ ...ctx, fault: f }, fake, find);
    case "stall":
    case "pace":
    case "answer":
      return chat(ctx, fake, find, f);
  }
}

interface ChatBody {
  model?: unknown;
  messages?: { role: string; content?: string }[];
  stream?: boolean;
  tools?: { function: { name: string; parameters?: unknown } }[];
  options?: { num_predict?: number };
  /** "json" or a JSON schema: Ollama's structured outputs. */
  format?: unknown;
  keep_alive?: unknown;
}

type ToolCalls = FakeToolCall[];

/** What the fake model answers: the text in the pieces it streams (one token each), or a tool call. */
interface Answer {
  pieces: string[];
  text: string;
  toolCalls: ToolCalls | undefined;
  doneReason: "stop" | "length";
  promptEval: number;
  evalCount: number;
}

function compose(body: ChatBody, m: FakeOllamaModel, own?: OllamaFault): Answer {
  const messages = body.messages ?? [];
  const tools = body.tools ?? [];
  const last = messages[messages.length - 1];
  const prompt = [...messages].reverse().find((x) => x.role === "user")?.content ?? "";
  const limit = body.options?.num_predict;
  const capped = limit !== undefined && limit > 0;
  const promptEval = tokens(messages.map((x) => x.content ?? "").join(" "));
  const broken = last?.role === "tool" ? undefined : own?.type === "answer" ? own.broken : (brokenFromPrompt(prompt) ?? m.broken);
  if (broken) {
    const b = brokenAnswer(broken, { prompt, tools, format: body.format, numPredict: capped ? limit : undefined });
    return { ...b, promptEval, evalCount: b.toolCalls ? tokens(JSON.stringify(b.toolCalls)) : b.pieces.length };
  }
  const reply = fakeReply(prompt, tools.map((t) => ({ name: t.function.name })), last?.role === "tool" ? (last.content ?? "") : undefined);
  if ("toolCall" in reply) {
    // A model that follows the tool's schema (Hearth checks home's calls against it); `{query}` for a tool that names no properties.
    const params = tools.find((t) => t.function.name === reply.toolCall.name)?.function.parameters as { properties?: object } | undefined;
    const args = params?.properties && Object.keys(params.properties).length > 0 ? (instanceOf(params, prompt) as object) : (JSON.parse(reply.toolCall.arguments) as object);
    const toolCalls = [{ function: { name: reply.toolCall.name, arguments: args } }];
    return { pieces: [], text: "", toolCalls, doneReason: "stop", promptEval, evalCount: tokens(JSON.stringify(toolCalls)) };
  }
  // Ollama's `format` constrains the model to JSON (of that schema): a valid instance, filled from the prompt.
  if (body.format !== undefined && body.format !== "" && last?.role !== "tool") {
    const json = JSON.stringify(typeof body.format === "object" && body.format !== null ? instanceOf(body.format, prompt) : { answer: prompt });
    return { pieces: pieces(json), text: json, toolCalls: undefined, doneReason: "stop", promptEval, evalCount: tokens(json) };
  }
  const long = m.answerTokens !== undefined && !(last?.role === "tool");
  if (long) {
    const all = pacedTokens(prompt, m.answerTokens ?? 1);
    const kept = capped ? all.slice(0, limit) : all;
    const doneReason = kept.length < all.length ? "length" : "stop";
    return { pieces: kept, text: kept.join(""), toolCalls: undefined, doneReason, promptEval, evalCount: kept.length };
  }
  let text = reply.text;
  let doneReason: Answer["doneReason"] = "stop";
  if (capped && tokens(text) > limit) {
    text = text.slice(0, limit * 4);
    doneReason = "length";
  }
  return { pieces: text ? pieces(text) : [], text, toolCalls: undefined, doneReason, promptEval, evalCount: tokens(text) };
}

/**
 * The exact text `model` answers to a chat whose last message is the user's `prompt` (no tools), as
 * the fake streams it: what a test compares a relayed answer with. `numPredict` as options.num_predict.
 */
export function expectedAnswer(model: FakeOllamaModel, prompt: string, numPredict?: number): string {
  const body: ChatBody = { messages: [{ role: "user", content: prompt }], ...(numPredict ? { options: { num_predict: numPredict } } : {}) };
  return compose(body, model).text;
}

const isPaced = (m: FakeOllamaModel) =>
  m.firstTokenMs !== undefined || m.tokensPerSecond !== undefined || m.answerTokens !== undefined || m.timeScale !== undefined;

/** This request's pace: the model's (or a scripted override), ranges drawn, times scaled. */
function paceOf(m: FakeOllamaModel, own: OllamaFault | undefined, rand: () => number): Pace {
  const scale = m.timeScale ?? 1;
  const o = own?.type === "pace" ? own : undefined;
  const first = draw(o?.firstTokenMs ?? m.firstTokenMs ?? 0, rand);
  const tps = o?.tokensPerSecond ?? m.tokensPerSecond;
  const perToken = tps === undefined ? (isPaced(m) ? 0 : (m.chunkDelayMs ?? 0) / scale) : 1000 / draw(tps, rand);
  return { firstTokenMs: first * scale, perTokenMs: perToken * scale };
}

/** The final line's counts and durations (ns), as Ollama reports them. */
function finalLine(a: Answer, loadNs: number, promptNs = 50_000_000, evalNs = 200_000_000) {
  return {
    done: true,
    done_reason: a.doneReason,
    total_duration: loadNs + promptNs + evalNs,
    load_duration: loadNs,
    prompt_eval_count: a.promptEval,
    prompt_eval_duration: promptNs,
    eval_count: a.evalCount,
    eval_duration: evalNs,
  };
}

async function chat(ctx: FakeContext, fake: FakeOllama, find: Find, own?: OllamaFault) {
  const { res } = ctx;
  const body = (ctx.body ?? {}) as ChatBody;
  if (typeof body.model !== "string" || body.model === "") return sendError(res, 400, "model is required");
  const m = find(body.model);
  if (!m) return sendError(res, 404, `model "${body.model}" not found, try pulling it first`);
  const name = withTag(m.name);
  if (m.embedding) return sendError(res, 400, `"${name}" does not support chat`);
  if ((body.tools ?? []).length > 0 && !m.tools) return sendError(res, 400, `registry.ollama.ai/library/${name} does not support tools`);

  const wasLoaded = (fake.loaded.get(name) ?? 0) > Date.now();
  const loadStarted = Date.now();
  if (!wasLoaded && m.loadMs) await loadModel(fake, name, m.loadMs * (m.timeScale ?? 1));
  const loadMs = Date.now() - loadStarted;
  if (res.destroyed) return;
  const keep = keepAliveMs(body.keep_alive);
  if (keep > 0) fake.loaded.set(name, Date.now() + keep);
  else fake.loaded.delete(name);

  const a = compose(body, m, own);
  const loadNs = loadMs * 1e6 + 1_200_000;
  const line = (message: object, extra: object = { done: false }) => ({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", ...message }, ...extra });
  const fault = own ?? ctx.fault;
  if (isPaced(m) || own) {
    const rand = chatState.get(fake)?.rand ?? Math.random;
    const writeFault = fault?.type === "cut" || fault?.type === "stall" ? fault : undefined;
    const final = (promptNs: number, evalNs: number) => finalLine(a, loadNs, promptNs, evalNs);
    return sendPaced({ res, reply: a, pace: paceOf(m, own, rand), fault: writeFault, final, line, stream: body.stream !== false });
  }
  if (body.stream === false) {
    if (fault?.type === "cut") return cutNow(res);
    return sendJson(res, 200, line({ content: a.text, ...(a.toolCalls ? { tool_calls: a.toolCalls } : {}) }, finalLine(a, loadNs)));
  }
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  const send = ndjsonWriter(res, fault, m.chunkDelayMs ?? 0);
  for (const p of a.pieces) if (!(await send(line({ content: p })))) return;
  // Ollama streams a tool call whole, in its own line before the final one.
  if (a.toolCalls && !(await send(line({ content: "", tool_calls: a.toolCalls })))) return;
  if (!(await send(line({ content: "" }, finalLine(a, loadNs))))) return;
  res.end();
}

/** Writes one NDJSON line; false once a `cut` fault says the stream breaks here or the client left. */
function ndjsonWriter(res: ServerResponse, fault: OllamaFault | undefined, delayMs: number) {
  let sent = 0;
  return async (obj: object): Promise<boolean> => {
    if (sent > 0 && delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return false;
    if (fault?.type === "cut" && sent >= fault.afterEvents) {
      // end(), not destroy(): what was written reaches the client, then the chunked body stops unterminated.
      res.socket?.end();
      return false;
    }
    res.write(`${JSON.stringify(obj)}\n`);
    sent++;
    return true;
  };
}

export async function startFakeOllama(opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const holder: { fake?: FakeOllama } = {};
  const server = await startFake((ctx) => (holder.fake ? handle(ctx, holder.fake) : undefined), opts.port);
  const state: ChatState = { faults: [], embedFaults: [], rand: mulberry32(opts.seed ?? 1), loads: new Map(), generation: 0 };
  const fake: FakeOllama = Object.assign(server, {
    models: (opts.models ?? DEFAULT_MODELS).map((m) => ({ ...m })),
    loaded: new Map<string, number>(),
    enqueueChat: (...f: OllamaFault[]) => void state.faults.push(...f),
    enqueueEmbed: (...f: Fault[]) => void state.embedFaults.push(...f),
  });
  chatState.set(fake, state);
  const resetRequests = server.reset;
  fake.reset = () => {
    resetRequests();
    fake.loaded.clear();
    state.faults.length = 0;
    state.embedFaults.length = 0;
    state.loads.clear();
    state.generation++;
    state.rand = mulberry32(opts.seed ?? 1);
  };
  holder.fake = fake;
  return fake;
}

/** The /api/chat requests a fake Ollama received, in order. */
export const chatRequests = (o: FakeOllama): RecordedRequest[] => o.requests.filter((r) => r.path === "/api/chat");

/** The text of the last message of a recorded /api/chat request. */
export const lastUserText = (r: RecordedRequest): string => (r.body as { messages: { content: string }[] }).messages.at(-1)?.content ?? "";
