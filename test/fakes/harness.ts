/**
 * The common skeleton of Hearth's protocol-faithful fakes (OpenAI, Anthropic, later Ollama): a real
 * Node HTTP server on 127.0.0.1 that records every request and lets a test script faults, one per
 * request, first in first out.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Answer with this status and body (default: the provider's own error shape for that status). */
  | { type: "status"; status: number; retryAfter?: string; message?: string }
  /** Wait this long before answering (headers included). */
  | { type: "delay"; ms: number }
  /** Stream normally but destroy the socket after this many SSE events / NDJSON lines. */
  | { type: "cut"; afterEvents: number }
  /** Stream normally, then after this many SSE events send nothing more, the socket kept open (a stall). */
  | { type: "stall"; afterEvents: number }
  /** Send nothing, keep the socket open until the client gives up. */
  | { type: "hang" }
  /** Destroy the socket without answering. */
  | { type: "reset" };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Set when the client went away before the fake finished answering. */
  aborted: boolean;
}

export interface FakeContext {
  req: IncomingMessage;
  res: ServerResponse;
  body: unknown;
  record: RecordedRequest;
  /** The fault scripted for this request, if any (delay faults are already applied). */
  fault: Fault | undefined;
}

export type FakeHandler = (ctx: FakeContext) => Promise<void> | void;

export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Script faults for the next requests, one each, in order. */
  enqueue(...faults: Fault[]): void;
  /** Forget recorded requests and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFake(handler: FakeHandler, port = 0): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let faults: Fault[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const record: RecordedRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body,
        aborted: false,
      };
      requests.push(record);
      res.on("close", () => {
        if (!res.writableFinished) record.aborted = true;
      });
      let fault = faults.shift();
      if (fault?.type === "delay") {
        await new Promise((r) => setTimeout(r, fault && fault.type === "delay" ? fault.ms : 0));
        fault = undefined;
      }
      if (fault?.type === "reset") return void req.socket.destroy();
      if (fault?.type === "hang") return;
      await handler({ req, res, body, record, fault });
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(err) } }));
    });
  });
  server.keepAliveTimeout = 5000; // Node fetch (undici) reuses only connections promised more than 1 s
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    enqueue: (...f) => void faults.push(...f),
    reset: () => {
      requests.length = 0;
      faults = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes one SSE event; returns false once a `cut` or `stall` fault says the stream must break here. */
export function sseWriter(res: ServerResponse, fault: Fault | undefined) {
  let sent = 0;
  return (data: string, event?: string): boolean => {
    // Nothing more, and the socket left open: the client's deadline must end it.
    if (fault?.type === "stall" && sent >= fault.afterEvents) return false;
    if (fault?.type === "cut" && sent >= fault.afterEvents) {
      // end(), not destroy(): what was written reaches the client first, then the connection closes
      // without the chunked body's terminator — a real mid-stream cut.
      res.socket?.end();
      return false;
    }
    res.write(`${event ? `event: ${event}\n` : ""}data: ${data}\n\n`);
    sent++;
    return true;
  };
}

/** The deterministic "model" both cloud fakes use, so tests can predict answers. */
export interface FakeTool {
  name: string;
}
export type FakeReply = { text: string } | { toolCall: { name: string; arguments: string } };

/**
 * - last message is a tool result → "Tool said: <result>"
 * - tools offered and not tool_choice none → call the first (or forced) tool with {"query": <last user text>}
 * - otherwise → "Echo: <last user text>"
 */
export function fakeReply(
  lastUserText: string,
  tools: readonly FakeTool[],
  toolResult: string | undefined,
  forcedTool?: string,
  toolsDisabled = false,
): FakeReply {
  if (toolResult !== undefined) return { text: `Tool said: ${toolResult}` };
  const tool = forcedTool ?? tools[0]?.name;
  if (tool && !toolsDisabled) return { toolCall: { name: tool, arguments: JSON.stringify({ query: lastUserText }) } };
  return { text: `Echo: ${lastUserText}` };
}

const WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "home", "models", "answer", "first"];

/**
 * A long answer on request, for benchmarks: a prompt holding "answer in N words" (N ≤ 100,000) gets
 * N words, one streamed piece each (" quick"), so an answer of N words is N content events.
 * Undefined for any other prompt.
 */
export function longAnswer(prompt: string): string[] | undefined {
  const n = Number(/\banswer in (\d{1,6}) words\b/i.exec(prompt)?.[1] ?? NaN);
  if (!(n > 0 && n <= 100_000)) return undefined;
  return Array.from({ length: n }, (_, i) => `${i === 0 ? "" : " "}${WORDS[i % WORDS.length] ?? ""}`);
}

/** Splits text into stream pieces of a few characters so streams have several deltas. */
export function pieces(text: string, size = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [""];
}
