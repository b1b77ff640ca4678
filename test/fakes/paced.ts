/**
 * Pacing for the fake Ollama: a home that takes its time. A 7–8B model on a CPU takes 0.5–5 s to its
 * first token, then makes 5–30 tokens/s, and answers run to hundreds of tokens. This module holds the
 * pure parts (the deterministic long answer, drawing a request's pace, when each line is due) and the
 * writer that sends NDJSON lines on that schedule, with the per-request stall and cut faults.
 */
import type { ServerResponse } from "node:http";
import { mulberry32 } from "../../scripts/lib/prng.js";

/** A fixed value, or a [min, max] range (a request's value is drawn from it). */
export type Spread = number | readonly [number, number];

/** How one request is paced: what the model's settings and a request's fault resolved to. */
export interface Pace {
  /** From the (loaded) model starting on the request to its first content line (ms, already scaled). */
  firstTokenMs: number;
  /** Between two content lines (ms, already scaled). */
  perTokenMs: number;
}

/** A request-scoped fault the paced writer applies (cut also exists in the harness, with the same meaning). */
export type WriteFault =
  | { type: "cut"; afterEvents: number }
  /** Send this many lines, then nothing for `resumeAfterMs` (default: never again), keeping the connection open. */
  | { type: "stall"; afterEvents: number; resumeAfterMs?: number };

/** Words the long answers are made of; each token of an answer is one of them. */
const WORDS = [
  "the", "home", "model", "answers", "slowly", "but", "surely", "with", "a", "long", "reply", "about",
  "kettles", "and", "lanterns", "while", "its", "fans", "hum", "in", "quiet", "rooms", "of", "old",
  "houses", "where", "tokens", "arrive", "one", "by", "warm", "light",
] as const;

/** FNV-1a, 32 bits: a stable number from a prompt (the answer's seed and, for a range, its length). */
export function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A value of `spread` from `rand` (a fixed value needs no draw, so it does not move the PRNG). */
export function draw(spread: Spread, rand: () => number): number {
  if (typeof spread === "number") return spread;
  const [min, max] = spread;
  return min + (max - min) * rand();
}

/**
 * How many tokens the answer to `prompt` has: `tokens` itself, or for a range a length derived from
 * the prompt (not from the run's PRNG), so a test can compute the exact answer from the prompt alone.
 */
export function answerLength(prompt: string, tokens: Spread): number {
  if (typeof tokens === "number") return Math.max(1, Math.round(tokens));
  const [min, max] = tokens.map(Math.round) as [number, number];
  return Math.max(1, min + (hashOf(`length:${prompt}`) % (max - min + 1)));
}

/** The answer's tokens, one per NDJSON line: words seeded by the prompt, each after a space but the first. */
export function pacedTokens(prompt: string, tokens: Spread): string[] {
  const rand = mulberry32(hashOf(prompt));
  const n = answerLength(prompt, tokens);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const word = WORDS[Math.floor(rand() * WORDS.length)] ?? "the";
    out.push(i === 0 ? word[0]?.toUpperCase() + word.slice(1) : ` ${word}`);
  }
  out[n - 1] += ".";
  return out;
}

/** The whole long answer the fake gives to `prompt` (the last user message's text). */
export const pacedAnswer = (prompt: string, tokens: Spread): string => pacedTokens(prompt, tokens).join("");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Lines due within this long of each other go out in one write: timers stay few when 64 streams run. */
const TICK_MS = 15;

export interface PacedWrite {
  res: ServerResponse;
  /** How many lines; line i is due at `firstTokenMs + i × perTokenMs` after the call. */
  count: number;
  /** Lines from this index on (a tool call, the final line) go out with the one before. Default: count. */
  timed?: number;
  pace: Pace;
  /** Builds line i when it is sent (so its created_at is the time it went out). */
  line: (i: number) => object;
  fault?: WriteFault;
}

/** What became of a paced write: every line sent, the client gone or cut, or stalled for good (left open). */
export type WriteEnd = "sent" | "gone" | "stalled";

/** Sends the lines on their schedule. Never ends the response: the caller does, after "sent". */
export async function writePaced(w: PacedWrite): Promise<WriteEnd> {
  const { res, count, pace } = w;
  let fault = w.fault;
  let start = Date.now();
  const timed = Math.max(1, Math.min(w.timed ?? count, count));
  const due = (i: number) => start + pace.firstTokenMs + Math.min(i, timed - 1) * pace.perTokenMs;
  let sent = 0;
  while (sent < count) {
    const wait = due(sent) - Date.now();
    if (wait > 0) await sleep(Math.max(wait, sent > 0 ? TICK_MS : 0));
    if (res.destroyed) return "gone";
    const batch: string[] = [];
    const now = Date.now();
    while (sent + batch.length < count && due(sent + batch.length) <= now) {
      const n = sent + batch.length;
      if (fault && n >= fault.afterEvents) break;
      batch.push(`${JSON.stringify(w.line(n))}\n`);
    }
    if (batch.length > 0) {
      res.write(batch.join(""));
      sent += batch.length;
      continue;
    }
    // Nothing due yet (a timer may fire a millisecond early): wait again, unless the fault's line is next.
    if (!fault || sent < fault.afterEvents) continue;
    if (fault.type === "cut") {
      // end(), not destroy(): what was written reaches the client, then the chunked body stops unterminated.
      res.socket?.end();
      return "gone";
    }
    if (fault.type === "stall") {
      if (fault.resumeAfterMs === undefined) return "stalled";
      await sleep(fault.resumeAfterMs);
      start += fault.resumeAfterMs;
      fault = undefined;
    }
  }
  return res.destroyed ? "gone" : "sent";
}

/** What a paced answer sends: its content pieces (one token per line), and a tool call in a line of its own. */
export interface PacedReply {
  pieces: string[];
  text: string;
  toolCalls: object[] | undefined;
}

export interface PacedAnswer {
  res: ServerResponse;
  reply: PacedReply;
  pace: Pace;
  fault: WriteFault | undefined;
  stream: boolean;
  /** An NDJSON line (or the whole non-streamed answer) with this message and these top-level fields. */
  line: (message: object, extra?: object) => object;
  /** The final line's fields, given the prompt and eval durations (ns) as measured here. */
  final: (promptNs: number, evalNs: number) => object;
}

/** Sends an /api/chat answer on its pace: NDJSON lines on their schedule, or one object once it is all made. */
export async function sendPaced({ res, reply, pace, fault, stream, line, final }: PacedAnswer): Promise<void> {
  const promptNs = Math.round(pace.firstTokenMs * 1e6);
  if (!stream) {
    if (fault?.type === "cut") return cutNow(res);
    if (fault?.type === "stall" && fault.resumeAfterMs === undefined) return; // never answers; the client gives up
    const evalMs = Math.max(1, reply.pieces.length) * pace.perTokenMs;
    await sleep(pace.firstTokenMs + evalMs - pace.perTokenMs + (fault?.type === "stall" ? (fault.resumeAfterMs ?? 0) : 0));
    if (res.destroyed) return;
    const whole = line({ content: reply.text, ...(reply.toolCalls ? { tool_calls: reply.toolCalls } : {}) }, final(promptNs, Math.max(1, Math.round(evalMs * 1e6))));
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    return void res.end(JSON.stringify(whole));
  }
  const lines: object[] = [...reply.pieces.map((content) => ({ content })), ...(reply.toolCalls ? [{ content: "", tool_calls: reply.toolCalls }] : [])];
  let firstAt = 0;
  const build = (i: number): object => {
    if (i === 0) firstAt = Date.now();
    if (i < lines.length) return line(lines[i] as object);
    // The first token's own time counts as evaluation too, as in Ollama's eval_duration.
    return line({ content: "" }, final(promptNs, Math.max(1, Math.round((Date.now() - firstAt + pace.perTokenMs) * 1e6))));
  };
  // Node sends these with the first line, as Ollama does: a request that stalls before it sends nothing.
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  const end = await writePaced({ res, count: lines.length + 1, timed: reply.pieces.length, pace, line: build, ...(fault ? { fault } : {}) });
  if (end === "sent") res.end();
}

/** Headers sent, then the connection closes without a body terminator. */
export function cutNow(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
  res.flushHeaders();
  res.socket?.end();
}
