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

const PROMPT = [{ role: "user", content: "Say hello in five words." }];

export class GatewayClient {
  readonly gateway: Gateway;
  readonly #agent: Agent;
  readonly #bodies: Record<"plain" | "stream", string>;

  /** `sockets`: connections kept open to this gateway (the load test's client count). */
  constructor(gateway: Gateway, sockets: number) {
    this.gateway = gateway;
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets });
    const base = { model: gateway.model, messages: PROMPT, max_tokens: 32 };
    this.#bodies = { plain: JSON.stringify(base), stream: JSON.stringify({ ...base, stream: true }) };
  }

  /** One request; rejects with BadAnswer when the status or the body is wrong. */
  async send(stream: boolean): Promise<Timing> {
    try {
      return await this.#once(stream);
    } catch (err) {
      // A keep-alive socket the server closed while idle: Node's documented retry case, not the gateway's fault.
      if (err instanceof StaleSocket) return this.#once(stream);
      throw err;
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #once(stream: boolean): Promise<Timing> {
    const payload = stream ? this.#bodies.stream : this.#bodies.plain;
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
            const problem = checkAnswer(res.statusCode ?? 0, t.text, stream);
            if (problem) reject(new BadAnswer(`${name} (${stream ? "streaming" : "non-streaming"}): ${problem}`));
            else resolve(t.timing);
          },
          (err: unknown) => reject(new BadAnswer(`${name}: the response broke: ${err instanceof Error ? err.message : String(err)}`)),
        ),
      );
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

/** What is wrong with an answer, or undefined when it is a complete chat completion. */
export function checkAnswer(status: number, text: string, stream: boolean): string | undefined {
  const excerpt = () => JSON.stringify(text.slice(0, 300));
  if (status !== 200) return `answered ${status}: ${excerpt()}`;
  if (stream) {
    if (!text.trimEnd().endsWith("data: [DONE]")) return `the stream did not end with 'data: [DONE]': …${JSON.stringify(text.slice(-300))}`;
    if (!text.split("\n\n").some(hasContent)) return `the stream carried no content: ${excerpt()}`;
    return undefined;
  }
  try {
    const body = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
    if (typeof body.choices?.[0]?.message?.content !== "string") return `no choices[0].message.content: ${excerpt()}`;
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
}

/**
 * `clients` concurrent loops of sequential non-streaming requests for `warmMs` + `ms`; counts the
 * requests that finished inside the last `ms`. Rejects on the first bad answer.
 */
export async function load(client: GatewayClient, clients: number, ms: number, warmMs: number): Promise<LoadResult> {
  const from = performance.now() + warmMs;
  const until = from + ms;
  const latencies: number[] = [];
  let completed = 0;
  const loop = async () => {
    while (performance.now() < until) {
      const t = await client.send(false);
      const done = performance.now();
      completed++;
      if (done >= from && done <= until) latencies.push(t.total);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { perSecond: latencies.length / (ms / 1000), completed, latencies };
}
