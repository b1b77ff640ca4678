/**
 * Runs one planned request on a leased sequence and turns node-llama-cpp's callbacks into Hearth's
 * event stream: text as it arrives, then whole tool calls, then `end`.
 */
import { randomUUID } from "node:crypto";
import {
  LlamaChat,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type GbnfJsonSchema,
  type LLamaChatGenerateResponseOptions,
  type Llama,
  type LlamaChatResponse,
  type LlamaGrammar,
} from "node-llama-cpp";
import { BackendError, type GenerationEvent } from "../types.js";
import type { LoadedModel, Lease } from "./pool.js";
import { finishReasonFor, type GenerationPlan, type JsonFormat } from "./request.js";
import { TextQueue } from "./text-queue.js";

export interface GenerationStats {
  completionTokens: number;
  /** performance.now() of the first generated text and of the end; undefined when no text came. */
  firstTokenAt: number | undefined;
  endedAt: number;
}

/** Generating this long without text counts as progress worth reporting (ms). */
const QUIET_MS = 500;

export interface RunOptions {
  llama: Llama;
  signal: AbortSignal;
  /** Called once after a generation that ended normally. */
  onStats(stats: GenerationStats): void;
}

/** Tokens the prompt takes, rendered exactly as LlamaChat will render it. */
export function countPromptTokens(loaded: LoadedModel, history: ChatHistoryItem[], functions: ChatModelFunctions | undefined): number {
  const { contextText } = loaded.chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions });
  return contextText.tokenize(loaded.model.tokenizer).length;
}

/** OpenAI-style tool call id. */
export const toolCallId = () => `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;

export async function* runGeneration(lease: Lease, plan: GenerationPlan, opts: RunOptions): AsyncGenerator<GenerationEvent> {
  const { loaded, sequence } = lease;
  const promptTokens = countPromptTokens(loaded, plan.history, plan.functions);
  // LlamaChat would otherwise shift the context silently, dropping the start of the conversation.
  const room = loaded.contextSize - promptTokens - 1;
  if (room < 1) throw new BackendError("unsupported", `the prompt is ${promptTokens} tokens; model '${loaded.id}' runs with a context of ${loaded.contextSize}`);
  const grammar = plan.json ? await grammarFor(opts.llama, plan.json) : undefined;
  const outputBefore = sequence.tokenMeter.usedOutputTokens;
  const live = start(lease, plan, { grammar, maxTokens: Math.min(plan.maxTokens ?? room, room), signal: opts.signal });
  try {
    for (let text = await live.queue.next(); text !== null; text = await live.queue.next()) yield text === "" ? { type: "progress" } : { type: "text", text };
    const result = await live.result;
    const calls = result.functionCalls ?? [];
    const finishReason = finishReasonFor(result.metadata.stopReason, calls.length);
    for (const [index, call] of calls.entries()) {
      yield { type: "tool_call", index, id: toolCallId(), name: call.functionName, arguments: JSON.stringify(call.params ?? {}) };
    }
    const completionTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
    opts.onStats({ completionTokens, firstTokenAt: live.firstTextAt(), endedAt: performance.now() });
    yield { type: "end", finishReason, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens } };
  } finally {
    // Also reached when the consumer stops iterating early.
    await live.stop();
  }
}

interface LiveGeneration {
  /** Text as LlamaChat produces it; fails with LlamaChat's error. */
  queue: TextQueue;
  result: Promise<LlamaChatResponse<ChatModelFunctions>>;
  firstTextAt(): number | undefined;
  /** Stops the model within a token if it is still running, and frees the LlamaChat. */
  stop(): Promise<void>;
}

function start(lease: Lease, plan: GenerationPlan, run: { grammar: LlamaGrammar | undefined; maxTokens: number; signal: AbortSignal }): LiveGeneration {
  const controller = new AbortController();
  const onAbort = () => controller.abort(run.signal.reason);
  run.signal.addEventListener("abort", onAbort, { once: true });
  const queue = new TextQueue();
  const chat = new LlamaChat({ contextSequence: lease.sequence, chatWrapper: lease.loaded.chatWrapper });
  let firstTextAt: number | undefined;
  let lastTextAt = performance.now();
  let settled = false;
  const result = chat.generateResponse(plan.history, {
    ...samplingOptions(plan, run.maxTokens),
    ...(run.grammar ? { grammar: run.grammar } : { functions: plan.functions, maxParallelFunctionCalls: plan.maxParallelFunctionCalls }),
    signal: controller.signal,
    onTextChunk: (text) => {
      firstTextAt ??= performance.now();
      lastTextAt = performance.now();
      queue.push(text);
    },
    // Tokens without text for a while (a tool call, returned whole at the end) still prove progress.
    onToken: () => {
      if (performance.now() - lastTextAt > QUIET_MS) queue.tick();
    },
  });
  result.then(
    () => queue.close(),
    (err: unknown) => queue.fail(err),
  );
  const done = result.then(
    () => (settled = true),
    () => (settled = true),
  );
  const stop = async () => {
    run.signal.removeEventListener("abort", onAbort);
    if (!settled) controller.abort();
    await done;
    chat.dispose({ disposeSequence: false });
  };
  return { queue, result, firstTextAt: () => firstTextAt, stop };
}

type SamplingOptions = Pick<LLamaChatGenerateResponseOptions, "maxTokens" | "temperature" | "topP" | "seed" | "customStopTriggers" | "repeatPenalty">;

function samplingOptions(plan: GenerationPlan, maxTokens: number): SamplingOptions {
  return {
    maxTokens,
    temperature: plan.temperature,
    ...(plan.topP === undefined ? {} : { topP: plan.topP }),
    ...(plan.seed === undefined ? {} : { seed: plan.seed }),
    ...(plan.stop.length === 0 ? {} : { customStopTriggers: plan.stop }),
    repeatPenalty: plan.repeatPenalty,
  };
}

async function grammarFor(llama: Llama, json: JsonFormat): Promise<LlamaGrammar> {
  if (json.kind === "json") return llama.getGrammarFor("json");
  try {
    return await llama.createGrammarForJsonSchema<GbnfJsonSchema>(json.schema);
  } catch (err) {
    throw new BackendError("unsupported", `response_format schema: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
