/**
 * The gateway benchmark's client: one chat request to one gateway, timed, its answer checked.
 * Plain `node:http` with a keep-alive agent per gateway rather than `fetch`, so the client spends as
 * little CPU per request as it can (on 2 cores the client competes with the gateways it measures).
 */
import { Agent, request, type IncomingMessage } from "node:http";

export interface Gateway {
  name: string;
  /** The full URL of its chat completions endpoint. */
  url: string;
  /** Auth and routing headers this gateway needs. */
  headers: Record<string, string>;
  /** The model name as this gateway wants it (`gpt-4o-mini`, `openai/gpt-4o-mini`). */
  model: string;
}

export interface Timing {
  /** To the end of the response body (ms). */
  total: number;
  /** To the first byte of the body. */
  firstByte: number;
  /** Streaming: to the first SSE event carrying non-empty `delta.content`. Non-streaming: = total. */
  firstContent: number;
}

/** A gateway answered something other than a complete, successful chat completion. */
export class BadAnswer extends Error {
  override name = "BadAnswer";
}

/**
 * The answer's length: `short` is the fake's echo of a five-word prompt (a few chunks); `long` asks the
 * fake OpenAI for LONG_WORDS words (harness.ts `longAnswer`), one streamed chunk each: ~1,000 tokens.
 */
export type Length = "short" | "long";
export const LONG_WORDS = 1000;

const PROMPTS: Record<Length, { role: string; content: string }[]> = {
  short: [{ role: "user", content: "Say hello in five words." }],
  long: [{ role: "user", content: `Please answer in ${LONG_WORDS} words.` }],
};
/** A request with no byte for this long fails (socket inactivity, as Node's http counts it). */
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_TOKENS: Record<Length, number> = { short: 32, long: 2 * LONG_WORDS };

export class GatewayClient {
  readonly gateway: Gateway;
  readonly #agent: Agent;
  readonly #bodies: Record<Length, Record<"plain" | "stream", string>>;

  /** `sockets`: connections kept open to this gateway (the load test's client count). */
  constructor(gateway: Gateway, sockets: number) {
    this.gateway = gateway;
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets });
    const bodies = (length: Length) => {
      const base = { model: gateway.model, messages: PROMPTS[length], max_tokens: MAX_TOKENS[length] };
      return { plain: JSON.stringify(base), stream: JSON.stringify({ ...base, stream: true }) };
    };
    this.#bodies = { short: bodies("short"), long: bodies("long") };
  }

  /** One request; rejects with BadAnswer when the status or the body is wrong. */
  async send(stream: boolean, length: Length = "short"): Promise<Timing> {
    try {
      return await this.#once(stream, length);
    } catch (err) {
      // A keep-alive socket the server closed while idle: Node's documented retry case, not the gateway's fault.
      if (err instanceof StaleSocket) return this.#once(stream, length);
      throw err;
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #once(stream: boolean, length: Length): Promise<Timing> {
    const payload = stream ? this.#bodies[length].stream : this.#bodies[length].plain;
    const name = this.gateway.name;
    return new Promise<Timing>((resolve, reject) => {
      const t0 = performance.now();
      const req = request(
        this.gateway.url,
        {
          method: "POST",
          agent: this.#agent,
          headers: { ...this.gateway.headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (res) => read(res, stream, t0).then(
          (t) => {
            const problem = checkAnswer(res.statusCode ?? 0, t.text, stream, length === "long" ? LONG_WORDS : undefined);
            if (problem) reject(new BadAnswer(`${name} (${length}, ${stream ? "streaming" : "non-streaming"}): ${problem}`));
            else resolve(t.timing);
          },
          (err: unknown) => reject(new BadAnswer(`${name}: the response broke: ${err instanceof Error ? err.message : String(err)}`)),
        ),
      );
      // Every request ends: a gateway that hangs fails the request rather than the bench.
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === "ECONNRESET") reject(new StaleSocket());
        else reject(new BadAnswer(`${name}: request failed: ${err.message}${req.reusedSocket ? " (on a reused connection)" : ""}`));
      });
      req.end(payload);
    });
  }
}

class StaleSocket extends Error {}

function read(res: IncomingMessage, stream: boolean, t0: number): Promise<{ timing: Timing; text: string }> {
  return new Promise((resolve, reject) => {
    let firstByte = 0;
    let firstContent = 0;
    let pending = "";
    const parts: string[] = [];
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      const at = performance.now() - t0;
      if (!firstByte) firstByte = at;
      parts.push(chunk);
      if (!stream || firstContent) return;
      pending += chunk;
      const events = pending.split("\n\n");
      pending = events.pop() ?? "";
      if (events.some(hasContent)) firstContent = at;
    });
    res.on("end", () => {
      const total = performance.now() - t0;
      resolve({ timing: { total, firstByte, firstContent: stream ? firstContent : total }, text: parts.join("") });
    });
    res.on("error", reject);
  });
}

/** Does this SSE event carry answer text? */
function hasContent(event: string): boolean {
  const data = event.split("\n").find((l) => l.startsWith("data: "))?.slice(6);
  if (!data || data === "[DONE]") return false;
  try {
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = chunk.choices?.[0]?.delta?.content;
    return typeof content === "string" && content.length > 0;
  } catch {
    return false;
  }
}

/**
 * What is wrong with an answer, or undefined when it is a complete chat completion. With `words`
 * (a long answer), the answer must hold that many words: whole, or one content event each.
 */
export function checkAnswer(status: number, text: string, stream: boolean, words?: number): string | undefined {
  const excerpt = () => JSON.stringify(text.slice(0, 300));
  if (status !== 200) return `answered ${status}: ${excerpt()}`;
  if (stream) {
    if (!text.trimEnd().endsWith("data: [DONE]")) return `the stream did not end with 'data: [DONE]': …${JSON.stringify(text.slice(-300))}`;
    if (!text.split("\n\n").some(hasContent)) return `the stream carried no content: ${excerpt()}`;
    const events = words === undefined ? 0 : (text.match(/"content":"[^"]/g) ?? []).length;
    if (words !== undefined && events !== words) return `the stream carried ${events} content events, not ${words}`;
    return undefined;
  }
  try {
    const body = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== "string") return `no choices[0].message.content: ${excerpt()}`;
    if (words !== undefined && content.split(" ").length !== words) return `the answer holds ${content.split(" ").length} words, not ${words}`;
  } catch {
    return `not JSON: ${excerpt()}`;
  }
  return undefined;
}

export interface LoadResult {
  /** Requests completed within the measured window, per second. */
  perSecond: number;
  /** All requests completed, warm-up and stragglers included. */
  completed: number;
  /** Latencies (ms) of the requests completed within the window. */
  latencies: number[];
  /** Requests that failed (any time in the run), and the first failure's message. */
  failed: number;
  firstFailure: string | undefined;
}

/**
 * `clients` concurrent loops of sequential requests for `warmMs` + `ms`; counts the requests that
 * finished inside the last `ms`. A bad answer is counted, not thrown: a gateway that fails under
 * load shows it in its row.
 */
export async function load(client: GatewayClient, clients: number, ms: number, warmMs: number, mode: { stream?: boolean; length?: Length } = {}): Promise<LoadResult> {
  const from = performance.now() + warmMs;
  const until = from + ms;
  const latencies: number[] = [];
  let completed = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const loop = async () => {
    while (performance.now() < until) {
      try {
        const t = await client.send(mode.stream ?? false, mode.length ?? "short");
        const done = performance.now();
        completed++;
        if (done >= from && done <= until) latencies.push(t.total);
      } catch (err) {
        failed++;
        firstFailure ??= err instanceof Error ? err.message : String(err);
        // A failing gateway often fails fast: do not spin.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { perSecond: latencies.length / (ms / 1000), completed, latencies, failed, firstFailure };
}
