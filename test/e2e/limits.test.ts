/**
 * Depth and size limits end to end (issue 9): JSON nested thousands of levels deep in a schema or a
 * tool's parameters is a 400 naming the field, for `auto` (whose plan clones the request into the
 * sidecar hub's Durable Object: workerd overflowed there from ~2,000 levels of JSON) and for a named
 * cloud model, streaming or not; nothing reaches the upstream. A realistic schema is still served.
 * Bodies are built as text: Node's own JSON.stringify overflows on them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { sseData } from "../support/chat.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const NAMED = "openai/gpt-4o-mini";
const SCHEMA_PARAM = "response_format.json_schema.schema";
const TOOL_PARAM = "tools[0].function.parameters";

let fake: FakeServer;
let worker: RunningWorker;
let user: Awaited<ReturnType<RunningWorker["createUser"]>>;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  worker = await startWorker({ vars: cloudVars(fake) });
  user = await worker.createUser("limits");
});
afterAll(async () => {
  await worker?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

/** A JSON schema `levels` objects deep, each one's only property the next (2 levels of JSON each). */
function schemaText(levels: number): string {
  return '{"type":"object","properties":{"a":'.repeat(levels - 1) + '{"type":"string"}' + "}}".repeat(levels - 1);
}

function chatText(model: string, stream: boolean, field: "schema" | "tool", schema: string): string {
  const head = `{"model":${JSON.stringify(model)},"stream":${stream},"messages":[{"role":"user","content":"Fill in the form."}]`;
  return field === "schema"
    ? `${head},"response_format":{"type":"json_schema","json_schema":{"name":"form","schema":${schema}}}}`
    : `${head},"tools":[{"type":"function","function":{"name":"fill","parameters":${schema}}}]}`;
}

function post(path: string, text: string, apiKey = user.apiKey): Promise<Response> {
  return fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: text,
  });
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string; hearth: boolean };
}

async function expectRefused(r: Response, param: string | null, code = "invalid_request"): Promise<ErrorBody["error"]> {
  const text = await r.text();
  expect(r.status, text).toBe(400);
  expect(r.headers.get("content-type")).toContain("application/json");
  expect(r.headers.get("x-hearth-error")).toBe(code);
  const { error } = JSON.parse(text) as ErrorBody;
  expect(error).toMatchObject({ type: "invalid_request_error", param, code, hearth: true });
  expect(error.message).not.toMatch(/\n\s+at /);
  return error;
}

describe.each([
  ["auto", "auto"],
  ["a named cloud model", NAMED],
])("deep JSON to %s", (_, model) => {
  describe.each([
    ["response_format.json_schema.schema", "schema", SCHEMA_PARAM],
    ["a tool's parameters", "tool", TOOL_PARAM],
  ] as const)("in %s", (_, field, param) => {
    it.each([
      [2_500, false],
      [2_500, true],
      [10_000, false],
      [10_000, true],
    ])("%i levels (stream: %s) is a 400 naming the field, and nothing is sent upstream", async (levels, stream) => {
      const error = await expectRefused(await post("/v1/chat/completions", chatText(model, stream, field, schemaText(levels))), param);
      expect(error.message).toBe(`Invalid value for '${param}': nested deeper than the limit of 64 levels.`);
      expect(fake.requests).toHaveLength(0);
    });
  });
});

describe("a realistic schema, 20 levels deep", () => {
  const schema = schemaText(20);

  it.each([
    ["auto", false],
    ["auto", true],
    [NAMED, false],
    [NAMED, true],
  ])("reaches %s intact and is served (stream: %s)", async (model, stream) => {
    for (const field of ["schema", "tool"] as const) {
      fake.reset();
      const r = await post("/v1/chat/completions", chatText(model, stream, field, schema));
      const text = await r.text();
      expect(r.status, text).toBe(200);
      expect(r.headers.get("x-hearth-target")).toMatch(/^openai\//);
      if (stream) expect(sseData(text).at(-1)).toBe("[DONE]");
      else expect((JSON.parse(text) as { object: string }).object).toBe("chat.completion");
      const sent = fake.requests[0]?.body as { response_format?: { json_schema: { schema: unknown } }; tools?: { function: { parameters: unknown } }[] };
      const got = field === "schema" ? sent.response_format?.json_schema.schema : sent.tools?.[0]?.function.parameters;
      expect(got).toEqual(JSON.parse(schema));
    }
  });
});

describe("the other routes that read a chat body", () => {
  it("/v1/route/explain refuses a deep schema the same way and explains a realistic one", async () => {
    await expectRefused(await post("/v1/route/explain", chatText("auto", false, "tool", schemaText(10_000))), TOOL_PARAM);
    const r = await post("/v1/route/explain", chatText("auto", false, "tool", schemaText(20)));
    expect(r.status, await r.clone().text()).toBe(200);
    expect(((await r.json()) as { features: { tools: boolean } }).features.tools).toBe(true);
  });

  it("/v1/code refuses a deep schema the same way", async () => {
    await expectRefused(await post("/v1/code", chatText("auto", true, "schema", schemaText(10_000))), SCHEMA_PARAM);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("100,000 levels", () => {
  it("as the whole body (200 KB of [[[…]]]) is a 400, not a 500", async () => {
    const r = await post("/v1/chat/completions", "[".repeat(100_000) + "]".repeat(100_000));
    // workerd's JSON.parse copes with this depth, so the body is refused for not being an object; were
    // the parser to give up (RangeError), it would be invalid_json.
    const text = await r.text();
    expect(r.status, text).toBe(400);
    expect(["invalid_request", "invalid_json"]).toContain((JSON.parse(text) as ErrorBody).error.code);
  });

  it("inside a schema is a 400 naming the schema", async () => {
    const text = chatText("auto", false, "schema", `{"enum":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    await expectRefused(await post("/v1/chat/completions", text), SCHEMA_PARAM);
  });

  it("inside message content is a 400 naming the message's content", async () => {
    const parts = `[{"type":"text","text":"hi","extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}]`;
    const text = `{"model":"auto","messages":[{"role":"user","content":"a"},{"role":"user","content":${parts}}]}`;
    await expectRefused(await post("/v1/chat/completions", text), "messages[1].content");
  });
});

describe("counts", () => {
  it("more than 1,024 tools is a 400 naming tools", async () => {
    const tools = Array.from({ length: 1_025 }, (_, i) => ({ type: "function", function: { name: `t${i}` } }));
    const body = JSON.stringify({ model: NAMED, messages: [{ role: "user", content: "hi" }], tools });
    const error = await expectRefused(await post("/v1/chat/completions", body), "tools");
    expect(error.message).toBe("Invalid value for 'tools': 1025 tools, over the limit of 1024.");
  });

  it("more than 16 metadata entries is a 400 naming metadata", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    const body = JSON.stringify({ model: NAMED, messages: [{ role: "user", content: "hi" }], metadata });
    await expectRefused(await post("/v1/chat/completions", body), "metadata");
  });
});

describe("the admin API", () => {
  it("refuses a deeply nested policy with a 400 (its schema is strict and never recurses into it)", async () => {
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    for (const text of [`{"rules":${deep}}`, `{"mode":${deep}}`, `{"unknown":${deep}}`]) {
      const r = await fetch(`${worker.url}/admin/users/${user.id}/policy`, {
        method: "PUT",
        headers: { authorization: `Bearer ${worker.adminToken}`, "content-type": "application/json" },
        body: text,
      });
      const body = await r.text();
      expect(r.status, body).toBe(400);
      expect((JSON.parse(body) as ErrorBody).error.code).toBe("invalid_request");
    }
  });
});
