/**
 * The user's own machine as a provider: the request goes to the user's SidecarHub, which runs it on
 * the sidecar or says at once why it cannot (offline, overloaded, loading…), without a wasted attempt.
 */
import {
  ANY_LOCAL_MODEL,
  HearthError,
  type AttemptFailure,
  type LocalRefusal,
  type SidecarFrame,
} from "@hearth/shared";
import { hubFor } from "../../tunnel/connect.js";
import type { OpenInput } from "../../tunnel/types.js";
import type { ChatCompletionChunk, Provider } from "../types.js";
import { LocalFailure, collect, frameToChunks, lines } from "./frames.js";

/** Home cannot take the request now; it was not sent. */
export class LocalUnavailable extends Error {
  readonly reason: LocalRefusal;
  constructor(reason: LocalRefusal) {
    super(`home cannot take this request: ${reason}`);
    this.name = "LocalUnavailable";
    this.reason = reason;
  }
}

async function* relayChunks(
  frames: ReadableStream<Uint8Array>,
  meta: { id: string; created: number; model: string },
  cancel: () => void,
): AsyncGenerator<ChatCompletionChunk> {
  let ended = false;
  try {
    for await (const line of lines(frames)) {
      if (line === "") continue;
      // The hub validated every frame against the protocol schema before relaying it: parse only.
      const frame = JSON.parse(line) as SidecarFrame;
      yield* frameToChunks(frame, meta);
      if (frame.t === "end") ended = true;
    }
    if (!ended) throw new LocalFailure("disconnected", "the home stream ended before the answer finished");
  } finally {
    // Leaving early (client gone, deadline, error) must stop the generation at home.
    if (!ended) cancel();
  }
}

export const localProvider: Provider = {
  id: "local",
  // No key: the tunnel is there whenever the hub is bound.
  config: (env) => (env.SIDECAR_HUB ? { apiKey: "" } : null),

  async stream(req, model, _cfg, ctx) {
    const hub = hubFor(ctx.env, ctx.userId);
    const pre = ctx.takeOpened(model);
    const input: OpenInput = {
      id: pre?.id ?? crypto.randomUUID(),
      model: model === ANY_LOCAL_MODEL ? undefined : model,
      body: req,
      features: ctx.localFeatures,
      firstTokenMs: ctx.localFirstTokenMs,
    };
    const result = pre?.result ?? (await hub.open(input));
    if (!result.ok) {
      if (result.reason === "no_such_model") {
        throw new HearthError("model_not_found", `Your sidecar has no model '${model}'.`, { param: "model" });
      }
      throw new LocalUnavailable(result.reason);
    }
    const cancel = () => ctx.waitUntil(hub.cancel(input.id).catch(() => undefined));
    if (ctx.signal.aborted) cancel();
    else ctx.signal.addEventListener("abort", cancel, { once: true });
    const meta = { id: `chatcmpl-${input.id}`, created: Math.floor(Date.now() / 1000), model: result.model };
    return relayChunks(result.frames, meta, cancel);
  },

  async complete(req, model, cfg, ctx) {
    return collect(await this.stream(req, model, cfg, ctx));
  },

  classifyError(err): AttemptFailure {
    if (err instanceof LocalUnavailable) return { kind: "unavailable", reason: err.reason, contacted: false, message: err.message };
    if (err instanceof LocalFailure) {
      if (err.code === "timeout") return { kind: "timeout", reason: "timeout", message: err.message };
      if (err.code === "overloaded" || err.code === "loading" || err.code === "draining") {
        return { kind: "unavailable", reason: err.code, contacted: true, message: err.message };
      }
      if (err.code === "unsupported") return { kind: "unsupported", reason: "unsupported", contacted: true, message: err.message };
      return { kind: "unavailable", reason: err.code === "disconnected" ? "disconnected" : "error", contacted: true, message: err.message };
    }
    return { kind: "unavailable", reason: "error", contacted: true, message: err instanceof Error ? err.message : String(err) };
  },
};
