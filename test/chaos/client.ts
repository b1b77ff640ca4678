/**
 * One chaos request in one of four client modes — raw fetch or the official `openai` SDK, streaming or
 * not — under a hard ceiling, turned into an Observation for the classifier. In SDK modes a tee of the
 * response body records the wire as well, so "the SDK said success" can be checked against what came.
 */
import OpenAI from "openai";
import type { Mode, Observation, SdkView } from "./classify.js";

export interface ChaosRequest {
  workerUrl: string;
  apiKey: string;
  mode: Mode;
  /** The one user message. */
  prompt: string;
  /** Past this the request counts as lost (a hang), whatever was read so far. */
  ceilingMs: number;
}

export interface Sent {
  observation: Observation;
  /** From the first send to the end of the answer (or the ceiling). */
  ms: number;
}

const REFUSED_RETRY_MS = 200;

/** Why a fetch failed, as short as the transport says it (ECONNRESET, ECONNREFUSED, …). */
export function transportError(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/**
 * fetch that retries a refused connection (nothing reached Hearth: the Worker is restarting), as the
 * SDK does, until the ceiling. Any other failure is the caller's to see.
 */
async function fetchRetryingRefused(input: string | URL | Request, init: RequestInit, ceiling: AbortSignal): Promise<Response> {
  for (;;) {
    try {
      return await fetch(input, { ...init, signal: ceiling });
    } catch (err) {
      if (ceiling.aborted || transportError(err) !== "ECONNREFUSED") throw err;
      await new Promise((r) => setTimeout(r, REFUSED_RETRY_MS));
    }
  }
}

interface Wire {
  status?: number;
  target?: string | null;
  trace?: string | null;
  body: string;
  end: Observation["end"];
  error?: string;
}

/** Reads a body to its end (or the ceiling), recording what came and how it ended. */
async function readAll(body: ReadableStream<Uint8Array>, wire: Wire, ceiling: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      wire.body += decoder.decode(value, { stream: true });
    }
    wire.body += decoder.decode();
    wire.end = "end";
  } catch (err) {
    wire.end = ceiling.aborted ? "ceiling" : "error";
    wire.error = transportError(err);
  }
}

const failed = (wire: Wire, err: unknown, ceiling: AbortSignal): void => {
  wire.end = ceiling.aborted ? "ceiling" : "error";
  wire.error = transportError(err);
};

const messagesOf = (prompt: string) => [{ role: "user" as const, content: prompt }];
const chatBody = (prompt: string, stream: boolean) => ({ model: "auto", stream, messages: messagesOf(prompt) });

async function viaFetch(req: ChaosRequest, wire: Wire, ceiling: AbortSignal): Promise<void> {
  const stream = req.mode === "fetch-stream";
  try {
    const res = await fetchRetryingRefused(
      `${req.workerUrl}/v1/chat/completions`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${req.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(chatBody(req.prompt, stream)),
      },
      ceiling,
    );
    wire.status = res.status;
    wire.target = res.headers.get("x-hearth-target");
    wire.trace = res.headers.get("x-hearth-trace");
    if (res.body) await readAll(res.body, wire, ceiling);
    else wire.end = "end";
  } catch (err) {
    failed(wire, err, ceiling);
  }
}

/** An APIError the server caused (a status or an error event), not a connection failure or an abort. */
const isApiError = (err: unknown) => err instanceof OpenAI.APIError && !(err instanceof OpenAI.APIConnectionError) && !(err instanceof OpenAI.APIUserAbortError);

async function viaSdk(req: ChaosRequest, wire: Wire, ceiling: AbortSignal): Promise<SdkView> {
  let recorded: Promise<void> | undefined;
  // The SDK's own signal is not passed on: when it stops reading (after an error event) the wire is
  // still read to its real end.
  const recording: typeof fetch = async (input, init) => {
    const res = await fetchRetryingRefused(input, init ?? {}, ceiling);
    wire.status = res.status;
    wire.target = res.headers.get("x-hearth-target");
    wire.trace = res.headers.get("x-hearth-trace");
    if (!res.body) return res;
    const [forSdk, forWire] = res.body.tee();
    recorded = readAll(forWire, wire, ceiling);
    return new Response(forSdk, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const client = new OpenAI({ apiKey: req.apiKey, baseURL: `${req.workerUrl}/v1`, maxRetries: 0, timeout: req.ceilingMs + 5_000, fetch: recording });
  let view: SdkView;
  try {
    if (req.mode === "sdk-stream") {
      const stream = await client.chat.completions.create({ model: "auto", stream: true, messages: messagesOf(req.prompt) });
      let text = "";
      let finishReason: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      }
      view = { ok: true, text, finishReason };
    } else {
      const r = await client.chat.completions.create({ model: "auto", messages: messagesOf(req.prompt) });
      view = { ok: true, text: r.choices[0]?.message.content ?? "", finishReason: r.choices[0]?.finish_reason ?? null };
    }
  } catch (err) {
    view = { ok: false, apiError: isApiError(err), message: err instanceof Error ? err.message.slice(0, 200) : String(err) };
  }
  if (recorded) await recorded;
  else if (wire.status === undefined) failed(wire, new Error(view.ok ? "no response" : view.message), ceiling);
  return view;
}

/** Sends one request and waits for its end, the ceiling included. Never throws. */
export async function send(req: ChaosRequest): Promise<Sent> {
  const started = Date.now();
  const ceiling = AbortSignal.timeout(req.ceilingMs);
  const wire: Wire = { body: "", end: "error" };
  const sdk = req.mode.startsWith("sdk") ? await viaSdk(req, wire, ceiling) : (await viaFetch(req, wire, ceiling), undefined);
  const observation: Observation = { mode: req.mode, body: wire.body, end: wire.end, ...(wire.status !== undefined ? { status: wire.status } : {}) };
  if (wire.target !== undefined) observation.target = wire.target;
  if (wire.trace !== undefined) observation.trace = wire.trace;
  if (wire.error !== undefined) observation.error = wire.error;
  if (sdk) observation.sdk = sdk;
  return { observation, ms: Date.now() - started };
}
