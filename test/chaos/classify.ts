/**
 * What became of one chaos request, from what the client saw. Pure: fed hand-made bodies in its tests.
 *
 *   complete  the whole answer: JSON with content, or a stream with a finish reason and `[DONE]`, its
 *             text equal to what the backend that served it (x-hearth-target) sent;
 *   typed     an OpenAI-shaped error body, or a stream ending in one error event without `[DONE]`;
 *   lost      anything else: a hang, a reset, a truncated answer passed off as complete, a stream
 *             with neither `[DONE]` nor an error.
 */

export type Mode = "fetch-json" | "fetch-stream" | "sdk-json" | "sdk-stream";
export const MODES: readonly Mode[] = ["fetch-json", "fetch-stream", "sdk-json", "sdk-stream"];
export const isStreamMode = (m: Mode) => m.endsWith("stream");

/** What the official SDK made of the answer (SDK modes only). */
export type SdkView =
  | { ok: true; text: string; finishReason: string | null }
  /** `apiError`: the SDK raised an APIError (an HTTP error status or an error event), not a connection error. */
  | { ok: false; apiError: boolean; message: string };

export interface Observation {
  mode: Mode;
  /** The HTTP status, when a response came. */
  status?: number;
  /** The x-hearth-target header. */
  target?: string | null;
  /** The x-hearth-trace header (what was tried before), for the report. */
  trace?: string | null;
  /** The body as read off the wire, as far as it came. */
  body: string;
  /** How reading ended: the body ended, a transport error (reset, refused), or the client's hard ceiling. */
  end: "end" | "error" | "ceiling";
  /** The transport error's message, when end is "error". */
  error?: string;
  sdk?: SdkView;
}

export type Outcome = "complete" | "typed" | "lost";

export interface Verdict {
  outcome: Outcome;
  /** Why, in a few words (a lost request's symptom). */
  why: string;
}

/** The exact answer text a target sends for this request's prompt; undefined for a target nobody expected. */
export type ExpectedText = (target: string) => string | undefined;

const lost = (why: string): Verdict => ({ outcome: "lost", why });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `{"error": {"message": string, "type": string, …}}`, as OpenAI (and Hearth) send errors. */
export function isErrorBody(v: unknown): boolean {
  return isObject(v) && isObject(v.error) && typeof v.error.message === "string" && typeof v.error.type === "string";
}

/** The data payloads of an SSE body, in order; comments and other fields are skipped. */
export function sseData(text: string): string[] {
  const out: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""));
    if (data.length > 0) out.push(data.join("\n"));
  }
  return out;
}

/** A text that differs, described without printing it all. */
function differs(got: string, want: string): string {
  let at = 0;
  while (at < got.length && got[at] === want[at]) at++;
  const what = got.length < want.length && want.startsWith(got) ? "truncated" : "different";
  return `text ${what}: ${got.length} of ${want.length} chars, first difference at ${at}`;
}

function checkText(target: string | null | undefined, text: string, expected: ExpectedText): Verdict {
  if (!target) return lost("answer without x-hearth-target");
  const want = expected(target);
  if (want === undefined) return lost(`answer from an unexpected target ${target}`);
  if (text !== want) return lost(`${differs(text, want)} (${target})`);
  return { outcome: "complete", why: target };
}

function classifyJson(o: Observation, expected: ExpectedText): Verdict {
  const body = parseJson(o.body);
  if (body === undefined) return lost(`200 with a body that is not JSON (${o.body.length} bytes)`);
  if (!isObject(body) || !Array.isArray(body.choices)) return lost("200 without choices");
  const choice: unknown = body.choices[0];
  if (!isObject(choice) || !isObject(choice.message)) return lost("200 without a message");
  if (typeof choice.finish_reason !== "string") return lost("200 without a finish_reason");
  const content = choice.message.content;
  if (typeof content !== "string") return lost("200 without text content");
  return checkText(o.target, content, expected);
}

interface StreamRead {
  text: string;
  finish: boolean;
  errors: number[];
  done: number[];
  unparsable: number;
}

function readStream(payloads: readonly string[]): StreamRead {
  const r: StreamRead = { text: "", finish: false, errors: [], done: [], unparsable: 0 };
  payloads.forEach((p, i) => {
    if (p === "[DONE]") return void r.done.push(i);
    const chunk = parseJson(p);
    if (isErrorBody(chunk)) return void r.errors.push(i);
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) return void r.unparsable++;
    for (const c of chunk.choices as unknown[]) {
      if (!isObject(c)) continue;
      if (typeof c.finish_reason === "string") r.finish = true;
      const delta = c.delta;
      if (isObject(delta) && typeof delta.content === "string") r.text += delta.content;
    }
  });
  return r;
}

function classifyStream(o: Observation, expected: ExpectedText): Verdict {
  const payloads = sseData(o.body);
  const r = readStream(payloads);
  const last = payloads.length - 1;
  if (r.unparsable > 0) return lost(`${r.unparsable} stream event(s) that are not chunks`);
  if (r.errors.length > 0) {
    if (r.done.length > 0) return lost("an error event and [DONE] in one stream");
    if (r.errors.length > 1 || r.errors[0] !== last) return lost("events after the error event");
    return { outcome: "typed", why: "error event" };
  }
  if (r.done.length === 0) return lost(r.text ? "stream ended with neither [DONE] nor an error (truncated)" : "stream ended empty");
  if (r.done.length > 1 || r.done[0] !== last) return lost("events after [DONE]");
  if (!r.finish) return lost("[DONE] without a finish_reason");
  return checkText(o.target, r.text, expected);
}

/** The verdict on the wire alone: what a raw-fetch client saw. */
export function classifyWire(o: Observation, expected: ExpectedText): Verdict {
  if (o.end === "ceiling") return lost(o.status === undefined ? "hang: no response within the ceiling" : "hang: the body did not end within the ceiling");
  if (o.end === "error") return lost(`${o.status === undefined ? "no response" : "body broke"}: ${o.error ?? "transport error"}`);
  if (o.status === undefined) return lost("no response");
  if (o.status !== 200) {
    if (isErrorBody(parseJson(o.body))) return { outcome: "typed", why: `${o.status}` };
    return lost(`${o.status} without an OpenAI-shaped error body: ${JSON.stringify(o.body.slice(0, 60))}`);
  }
  return isStreamMode(o.mode) ? classifyStream(o, expected) : classifyJson(o, expected);
}

/**
 * The verdict on one request. In SDK modes the application sees the SDK's result, so both must agree:
 * a success the SDK reports is complete only if the wire was complete and the SDK's text is the
 * answer; an error the SDK raises is typed only if it is an APIError over a typed wire.
 */
export function classify(o: Observation, expected: ExpectedText): Verdict {
  const wire = classifyWire(o, expected);
  if (!o.sdk || wire.outcome === "lost") return wire;
  if (o.sdk.ok) {
    if (wire.outcome !== "complete") return lost(`the SDK returned success over a ${wire.outcome} answer`);
    const want = o.target ? expected(o.target) : undefined;
    if (want === undefined || o.sdk.text !== want) return lost(`the SDK's text differs from the answer (${o.sdk.text.length} chars)`);
    return wire;
  }
  if (!o.sdk.apiError) return lost(`the SDK raised a non-API error: ${o.sdk.message}`);
  if (wire.outcome !== "typed") return lost(`the SDK raised an error over a complete answer: ${o.sdk.message}`);
  return wire;
}
