/**
 * doctor's test generation: one short chat on the first chat model, through the same backend code the
 * sidecar serves with. It runs twice — the first loads the model and answers one token, the second is
 * timed — so the time to first token is not a model load.
 */
import { chatRequestSchema } from "@hearth/shared";
import type { Backend } from "../backends/types.js";
import type { GenerationFacts } from "./checks.js";

const PROMPT = "Count from 1 to 20, separated by spaces.";
const MAX_TOKENS = 32;

async function once(backend: Backend, model: string, maxTokens: number, signal: AbortSignal): Promise<{ ttftMs: number; tokens: number; streamMs: number }> {
  const req = chatRequestSchema.parse({ model, messages: [{ role: "user", content: PROMPT }], max_tokens: maxTokens, temperature: 0 });
  const started = performance.now();
  let first: number | undefined;
  for await (const ev of backend.generate(model, req, { signal })) {
    if ((ev.type === "text" || ev.type === "tool_call") && first === undefined) first = performance.now();
    if (ev.type === "end") {
      const end = performance.now();
      return { ttftMs: Math.round((first ?? end) - started), tokens: ev.usage.completion_tokens, streamMs: end - (first ?? end) };
    }
  }
  throw new Error("the generation ended without its end event");
}

/** Runs the test generation on `model` of `backend` (which the caller disposes), within `timeoutMs`. */
export async function testGeneration(backend: Backend, model: string, timeoutMs: number): Promise<GenerationFacts> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await once(backend, model, 1, signal);
    const run = await once(backend, model, MAX_TOKENS, signal);
    // The first token is in ttft; the rest came over streamMs.
    const tokensPerSecond = run.tokens > 1 && run.streamMs > 0 ? ((run.tokens - 1) * 1000) / run.streamMs : undefined;
    return { ok: true, model, backend: backend.kind, ttftMs: run.ttftMs, tokens: run.tokens, tokensPerSecond };
  } catch (err) {
    const message = signal.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : err instanceof Error ? err.message : String(err);
    return { ok: false, model, error: message };
  }
}
