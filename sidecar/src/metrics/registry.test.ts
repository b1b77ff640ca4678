/**
 * The registry's wiring: what the serving code reports lands in the named metrics with the right
 * labels — read back through prom-client's own JSON view, and through the real request handler and
 * admission so a missed call in the hot path shows up here.
 */
import type { ChatRequest, SidecarFrame } from "@hearth/shared";
import type { MetricObject, MetricValueWithName } from "prom-client";
import { describe, expect, it } from "vitest";
import type { Backend, GenerationEvent } from "../backends/types.js";
import { silentLogger } from "../log.js";
import { Admission } from "../serve/admission.js";
import { RequestHandler } from "../serve/handler.js";
import { LOAD_BUCKETS, SidecarMetrics, TOKENS_PER_SECOND_BUCKETS, TTFT_BUCKETS } from "./registry.js";

type Json = MetricObject & { values: MetricValueWithName<string>[] };

const fresh = () => new SidecarMetrics({ version: "1.2.3", protocol: 1, slots: 2, queue: 1, processMetrics: false });

async function read(m: SidecarMetrics): Promise<Map<string, Json>> {
  const all = (await m.registry.getMetricsAsJSON()) as Json[];
  return new Map(all.map((x) => [x.name, x]));
}

/** The value of `name` whose labels include `labels` (metricName picks a histogram's _count/_sum/_bucket). */
function value(metrics: Map<string, Json>, name: string, labels: Record<string, string | number> = {}, metricName?: string): number | undefined {
  return metrics.get(name)?.values.find((v) => (metricName === undefined || v.metricName === metricName) && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

const body: ChatRequest = { model: "local/m", messages: [{ role: "user", content: "hi" }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function backend(events: (GenerationEvent | number | Error)[]): Backend {
  return {
    kind: "llama-cpp",
    models: async () => [],
    loading: () => [],
    async *generate() {
      for (const e of events) {
        if (typeof e === "number") await sleep(e);
        else if (e instanceof Error) throw e;
        else yield e;
      }
    },
    async *embed(_model, inputs) {
      yield { vectors: inputs.map(() => [1, 0]), promptTokens: inputs.length };
    },
    dispose: async () => undefined,
  };
}

function handlerWith(metrics: SidecarMetrics, b: Backend, slots = 1, queue = 1) {
  const frames: SidecarFrame[] = [];
  const h = new RequestHandler({
    admission: new Admission({ slots, queue, observer: metrics }),
    backendFor: (model) => (model === "m" ? b : undefined),
    send: (f) => frames.push(f),
    log: silentLogger,
    onChange: () => undefined,
    coalesce: { minDelayMs: 1, maxDelayMs: 1, maxChars: 512 },
    metrics,
  });
  return { h, frames };
}

describe("SidecarMetrics", () => {
  it("starts with the info, configuration, connection and uptime series present", async () => {
    const m = await read(fresh());
    expect(value(m, "hearth_sidecar_info", { version: "1.2.3", protocol: "1" })).toBe(1);
    expect(value(m, "hearth_sidecar_slots")).toBe(2);
    expect(value(m, "hearth_sidecar_queue_capacity")).toBe(1);
    expect(value(m, "hearth_sidecar_tunnel_connected")).toBe(0);
    expect(value(m, "hearth_sidecar_tunnel_reconnects_total")).toBe(0);
    expect(value(m, "hearth_sidecar_uptime_seconds")).toBeGreaterThanOrEqual(0);
    expect(m.has("process_cpu_user_seconds_total")).toBe(false);
  });

  it("uses the documented buckets", async () => {
    const metrics = fresh();
    metrics.firstToken("m", 0.3);
    metrics.generated("m", { promptTokens: 1, completionTokens: 11, seconds: 1 });
    metrics.modelLoad({ model: "m", backend: "llama-cpp", seconds: 1, ok: true });
    const m = await read(metrics);
    const les = (name: string) => m.get(name)?.values.filter((v) => v.metricName === `${name}_bucket`).map((v) => v.labels.le).filter((le) => le !== "+Inf");
    expect(les("hearth_sidecar_time_to_first_token_seconds")).toEqual(TTFT_BUCKETS);
    expect(les("hearth_sidecar_tokens_per_second")).toEqual(TOKENS_PER_SECOND_BUCKETS);
    expect(les("hearth_sidecar_model_load_seconds")).toEqual(LOAD_BUCKETS);
    expect(TTFT_BUCKETS.at(0)).toBe(0.1);
    expect(TTFT_BUCKETS.at(-1)).toBe(30);
    expect(TOKENS_PER_SECOND_BUCKETS.at(0)).toBe(1);
    expect(TOKENS_PER_SECOND_BUCKETS.at(-1)).toBe(200);
  });

  it("counts connection state, reconnects (dials after the first) and disconnects (closes of an open tunnel)", async () => {
    const metrics = fresh();
    for (const e of ["dial", "open", "close", "dial", "close", "dial", "open"] as const) metrics.connection(e);
    const m = await read(metrics);
    expect(value(m, "hearth_sidecar_tunnel_connected")).toBe(1);
    expect(value(m, "hearth_sidecar_tunnel_reconnects_total")).toBe(2);
    expect(value(m, "hearth_sidecar_tunnel_disconnects_total")).toBe(1);
  });

  it("known models have slot and queue series at 0, and knowing them again keeps their values", async () => {
    const metrics = fresh();
    metrics.knownModels(["a", "b"]);
    metrics.active("a", 1);
    metrics.knownModels(["a", "b"]);
    const m = await read(metrics);
    expect(value(m, "hearth_sidecar_slots_in_use", { model: "a" })).toBe(1);
    expect(value(m, "hearth_sidecar_slots_in_use", { model: "b" })).toBe(0);
    expect(value(m, "hearth_sidecar_queue_length", { model: "b" })).toBe(0);
  });

  it("counts model loads by result, and times only the ones that worked", async () => {
    const metrics = fresh();
    metrics.modelLoad({ model: "m", backend: "llama-cpp", seconds: 1.5, ok: true });
    metrics.modelLoad({ model: "m", backend: "llama-cpp", seconds: 0.1, ok: false });
    const m = await read(metrics);
    expect(value(m, "hearth_sidecar_model_loads_total", { model: "m", result: "ok" })).toBe(1);
    expect(value(m, "hearth_sidecar_model_loads_total", { model: "m", result: "failed" })).toBe(1);
    expect(value(m, "hearth_sidecar_model_load_seconds", { model: "m" }, "hearth_sidecar_model_load_seconds_count")).toBe(1);
    expect(value(m, "hearth_sidecar_model_load_seconds", { model: "m" }, "hearth_sidecar_model_load_seconds_sum")).toBe(1.5);
  });
});

describe("through the request handler", () => {
  it("a served request: outcome ok, time to first token, tokens/s from the tokens after the first, token counts", async () => {
    const metrics = fresh();
    const end: GenerationEvent = { type: "end", finishReason: "stop", usage: { prompt_tokens: 5, completion_tokens: 11 } };
    const { h } = handlerWith(metrics, backend([60, { type: "text", text: "a" }, 100, { type: "text", text: "b" }, end]));
    await h.run({ t: "request", id: "r1", model: "m", body });
    const m = await read(metrics);
    expect(value(m, "hearth_sidecar_requests_total", { model: "m", backend: "llama-cpp", outcome: "ok" })).toBe(1);
    const ttft = value(m, "hearth_sidecar_time_to_first_token_seconds", { model: "m" }, "hearth_sidecar_time_to_first_token_seconds_sum") ?? NaN;
    expect(ttft).toBeGreaterThanOrEqual(0.05);
    expect(ttft).toBeLessThan(0.5);
    // 10 tokens after the first over ~0.1 s: about 100 tokens/s.
    const tps = value(m, "hearth_sidecar_tokens_per_second", { model: "m" }, "hearth_sidecar_tokens_per_second_sum") ?? NaN;
    expect(tps).toBeGreaterThan(20);
    expect(tps).toBeLessThan(110);
    expect(value(m, "hearth_sidecar_tokens_total", { model: "m", kind: "prompt" })).toBe(5);
    expect(value(m, "hearth_sidecar_tokens_total", { model: "m", kind: "completion" })).toBe(11);
    expect(value(m, "hearth_sidecar_slots_in_use", { model: "m" })).toBe(0);
  });

  it("a failed request counts its error code; an unknown model counts as 'unknown' (labels stay bounded)", async () => {
    const metrics = fresh();
    const { h } = handlerWith(metrics, backend([new Error("boom")]));
    await h.run({ t: "request", id: "r1", model: "m", body });
    await h.run({ t: "request", id: "r2", model: "whatever-a-client-typed", body });
    const m = await read(metrics);
    expect(value(m, "hearth_sidecar_requests_total", { model: "m", outcome: "backend_error" })).toBe(1);
    expect(value(m, "hearth_sidecar_requests_total", { model: "unknown", backend: "none", outcome: "model_not_found" })).toBe(1);
    expect(m.get("hearth_sidecar_requests_total")?.values.some((v) => v.labels.model === "whatever-a-client-typed")).toBe(false);
    expect(value(m, "hearth_sidecar_time_to_first_token_seconds", { model: "m" }, "hearth_sidecar_time_to_first_token_seconds_count")).toBeUndefined();
  });

  it("slots in use and the queue per model while requests run and wait; overloaded when the queue is full", async () => {
    const metrics = fresh();
    const end: GenerationEvent = { type: "end", finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } };
    const { h } = handlerWith(metrics, backend([150, { type: "text", text: "a" }, end]), 1, 1);
    const running = [h.run({ t: "request", id: "r1", model: "m", body }), h.run({ t: "request", id: "r2", model: "m", body }), h.run({ t: "request", id: "r3", model: "m", body })];
    await sleep(50);
    let m = await read(metrics);
    expect(value(m, "hearth_sidecar_slots_in_use", { model: "m" })).toBe(1);
    expect(value(m, "hearth_sidecar_queue_length", { model: "m" })).toBe(1);
    await Promise.all(running);
    m = await read(metrics);
    expect(value(m, "hearth_sidecar_slots_in_use", { model: "m" })).toBe(0);
    expect(value(m, "hearth_sidecar_queue_length", { model: "m" })).toBe(0);
    expect(value(m, "hearth_sidecar_requests_total", { model: "m", outcome: "ok" })).toBe(2);
    expect(value(m, "hearth_sidecar_requests_total", { model: "m", outcome: "overloaded" })).toBe(1);
  });

  it("embedding requests are counted apart, with their inputs", async () => {
    const metrics = fresh();
    const { h } = handlerWith(metrics, backend([]));
    await h.embed({ t: "embed", id: "e1", model: "m", input: ["a", "b", "c"] });
    const m = await read(metrics);
    expect(value(m, "hearth_sidecar_embedding_requests_total", { model: "m", backend: "llama-cpp", outcome: "ok" })).toBe(1);
    expect(value(m, "hearth_sidecar_embedding_inputs_total", { model: "m" })).toBe(3);
    expect(m.get("hearth_sidecar_requests_total")?.values ?? []).toEqual([]);
  });
});
