/**
 * In-flight local requests inside the hub: each is a byte stream back to the Worker, fed by the frames
 * its sidecar sends. The hub owns the first-token deadline, so "home is too slow" is decided next to
 * the socket and the home generation is cancelled the moment it is.
 *
 * Embedding requests ride the same way (first content: their first vectors): they tell neither the
 * breaker nor the model's performance window anything, both of which steer chat routing.
 */
import { encodeFrame, type PerfSample, type SidecarFrame, type TunnelErrorCode } from "@hearth/shared";

const encoder = new TextEncoder();

export type Outcome = "success" | "failure" | "neutral";

export interface RelayEntry {
  id: string;
  /** `embed`: an embedding request (no samples, no breaker outcome). */
  kind: "chat" | "embed";
  sidecarId: string;
  /** The local model serving it (for the performance window). */
  model: string;
  openedAt: number;
  /** The request's estimated prompt size, kept with its sample (time to first token grows with it). */
  promptTokens: number;
  /** When the first content arrived (0 until then). */
  firstAt: number;
  ws: WebSocket;
  controller: ReadableStreamDefaultController<Uint8Array>;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Content has reached the Worker: the deadline no longer applies. */
  started: boolean;
  /** The outcome was told to the breaker (exactly once per request). */
  reported: boolean;
  /** The seq of the frame to deliver next, and frames that arrived ahead of it. */
  nextSeq: number;
  early: Map<number, { frame: RequestFrame; raw: string }>;
}

type RequestFrame = Extract<SidecarFrame, { id: string }>;

/** Frames held while waiting for a missing earlier one; past this the request is failed, not grown. */
const MAX_EARLY = 1_000;

export interface RelayHooks {
  /** Tell the breaker how the attempt went, once per request ("neutral": busy, cancelled — says nothing about health). */
  onOutcome(sidecarId: string, outcome: Outcome): void;
  /** Ask the sidecar to stop generating. */
  cancelAtHome(ws: WebSocket, id: string): void;
  /** How the attempt performed, for the model's window (not called for busy/loading refusals, which say nothing of speed). */
  onSample(model: string, sample: PerfSample): void;
  /** A model began answering (so it is loaded), after the sidecar's state report number `stateN`. */
  onStart?(sidecarId: string, model: string, stateN: number | undefined): void;
  /** A request ended on this sidecar: a slot may be free for a request that waits. */
  onFinish?(sidecarId: string): void;
}

/** Errors that say the home machine is unwell, as opposed to busy or told to stop. */
const UNHEALTHY: ReadonlySet<TunnelErrorCode> = new Set(["backend_error", "timeout"]);

export class Relay {
  readonly #entries = new Map<string, RelayEntry>();
  readonly #hooks: RelayHooks;

  constructor(hooks: RelayHooks) {
    this.#hooks = hooks;
  }

  inflightOn(sidecarId: string): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.sidecarId === sidecarId) n++;
    return n;
  }

  /** Registers a request and returns the stream the Worker reads. */
  open(id: string, sidecarId: string, model: string, ws: WebSocket, firstTokenMs: number, promptTokens = 0, kind: RelayEntry["kind"] = "chat"): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        const entry: RelayEntry = {
          id,
          kind,
          sidecarId,
          model,
          openedAt: Date.now(),
          promptTokens,
          firstAt: 0,
          ws,
          controller,
          timer: undefined,
          started: false,
          reported: false,
          nextSeq: 0,
          early: new Map(),
        };
        entry.timer = setTimeout(() => this.#timeout(entry, firstTokenMs), firstTokenMs);
        this.#entries.set(id, entry);
      },
      // The Worker stopped reading: stop home; the stream is gone, so nothing to close.
      cancel: () => {
        const entry = this.#entries.get(id);
        if (!entry) return;
        this.#hooks.cancelAtHome(entry.ws, id);
        this.#finish(entry, "neutral", false);
      },
    });
  }

  /**
   * A frame from a sidecar (already validated; `raw` is its text, passed on as is rather than encoded
   * again). Frames for requests it was not sent are dropped.
   */
  deliver(ws: WebSocket, frame: RequestFrame, raw: string): void {
    const entry = this.#entries.get(frame.id);
    if (!entry || entry.ws !== ws) return;
    const seq = "seq" in frame ? frame.seq : undefined;
    if (seq === undefined || seq === entry.nextSeq) {
      this.#apply(entry, frame, raw);
      // Frames that had overtaken this one can go now, in order.
      for (let next = entry.early.get(entry.nextSeq); next && this.#entries.has(entry.id); next = entry.early.get(entry.nextSeq)) {
        entry.early.delete(entry.nextSeq);
        this.#apply(entry, next.frame, next.raw);
      }
    } else if (seq > entry.nextSeq) {
      entry.early.set(seq, { frame, raw });
      if (entry.early.size > MAX_EARLY) {
        this.#hooks.cancelAtHome(entry.ws, entry.id);
        this.#push(entry, { t: "error", id: entry.id, code: "backend_error", message: `frame ${entry.nextSeq} never arrived` });
        this.#finish(entry, "failure");
      }
    }
    // seq below nextSeq: a duplicate; already delivered.
  }

  #apply(entry: RelayEntry, frame: RequestFrame, raw: string): void {
    entry.nextSeq++;
    if (frame.t === "start") this.#hooks.onStart?.(entry.sidecarId, entry.model, frame.stateN);
    // Text, or a sign that the model is generating (a tool call it sends whole), or vectors: home has started.
    if ((frame.t === "delta" || frame.t === "alive" || frame.t === "vectors") && !entry.started) {
      entry.started = true;
      entry.firstAt = Date.now();
      clearTimeout(entry.timer);
      this.#report(entry, "success");
    }
    this.#pushRaw(entry, raw);
    if (frame.t === "end") {
      this.#sample(entry, true, undefined, frame.usage.completion_tokens);
      this.#finish(entry, "success");
    } else if (frame.t === "embedded") {
      this.#finish(entry, "success");
    } else if (frame.t === "error") {
      const unhealthy = !entry.started && UNHEALTHY.has(frame.code);
      if (unhealthy || entry.started) this.#sample(entry, !unhealthy, frame.code);
      this.#finish(entry, unhealthy ? "failure" : "neutral");
    }
  }

  /** One window sample: time to first token, and speed when the answer finished. */
  #sample(entry: RelayEntry, ok: boolean, reason: string | undefined, completionTokens?: number): void {
    if (entry.kind === "embed") return;
    const now = Date.now();
    const sample: PerfSample = { at: now, ok, ...(reason ? { reason } : {}), ...(entry.promptTokens ? { promptTokens: entry.promptTokens } : {}) };
    if (entry.started) sample.ttftMs = entry.firstAt - entry.openedAt;
    const genMs = now - entry.firstAt;
    if (entry.started && completionTokens && genMs > 0) sample.tokensPerSecond = Math.round((completionTokens * 10_000) / genMs) / 10;
    this.#hooks.onSample(entry.model, sample);
  }

  /**
   * The Worker gave up on the request (client gone, a deadline, a stall): stop the home generation and
   * end the stream — whoever may still be reading it must not wait on a stream no one will write.
   */
  cancel(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#hooks.cancelAtHome(entry.ws, id);
    this.#push(entry, { t: "error", id, code: "cancelled", message: "cancelled by the Worker" });
    this.#finish(entry, "neutral");
  }

  /** A sidecar's socket closed: every request on it ends with an error the Worker can act on. */
  disconnected(ws: WebSocket): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.ws !== ws) continue;
      this.#push(entry, { t: "error", id: entry.id, code: "disconnected", message: "the sidecar disconnected" });
      this.#finish(entry, "neutral");
    }
  }

  #timeout(entry: RelayEntry, ms: number): void {
    if (entry.started || !this.#entries.has(entry.id)) return;
    this.#hooks.cancelAtHome(entry.ws, entry.id);
    // A timeout is a sample at its deadline: a machine that got slower raises its own next deadline.
    if (entry.kind === "chat") this.#hooks.onSample(entry.model, { at: Date.now(), ok: false, reason: "timeout", ttftMs: ms, ...(entry.promptTokens ? { promptTokens: entry.promptTokens } : {}) });
    this.#push(entry, { t: "error", id: entry.id, code: "timeout", message: `no first token within ${ms} ms` });
    this.#finish(entry, "failure");
  }

  #push(entry: RelayEntry, frame: SidecarFrame): void {
    this.#pushRaw(entry, encodeFrame(frame));
  }

  #pushRaw(entry: RelayEntry, text: string): void {
    try {
      entry.controller.enqueue(encoder.encode(text + "\n"));
    } catch {
      // The Worker side is gone; cancel() cleans up.
    }
  }

  #report(entry: RelayEntry, outcome: Outcome): void {
    if (entry.reported) return;
    entry.reported = true;
    if (entry.kind === "chat") this.#hooks.onOutcome(entry.sidecarId, outcome);
  }

  #finish(entry: RelayEntry, outcome: Outcome, close = true): void {
    clearTimeout(entry.timer);
    this.#entries.delete(entry.id);
    this.#report(entry, outcome);
    this.#hooks.onFinish?.(entry.sidecarId);
    if (!close) return;
    try {
      entry.controller.close();
    } catch {
      // already closed or cancelled
    }
  }
}
