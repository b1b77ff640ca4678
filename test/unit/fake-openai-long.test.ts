/**
 * The fake OpenAI's long answer for benchmarks ("answer in N words"), read through the official
 * openai SDK: N words, and when streamed one content event per word, so a bench can ask for an
 * answer of realistic length without a long prompt.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { longAnswer } from "../fakes/harness.js";
import { startFakeOpenAI } from "../fakes/openai.js";

let fake: FakeServer;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ apiKey: "test-openai-key", baseURL: `${fake.url}/v1`, maxRetries: 0, logLevel: "off" });
});
afterAll(() => fake.close());

const messages = [{ role: "user" as const, content: "Please answer in 1000 words." }];

describe("fake OpenAI: a long answer on request", () => {
  it("answers whole with N words", async () => {
    const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    const text = r.choices[0]?.message.content ?? "";
    expect(text.split(" ")).toHaveLength(1000);
    expect(text.startsWith("the quick brown")).toBe(true);
    expect(r.choices[0]?.finish_reason).toBe("stop");
  });

  it("streams one content event per word, then the finish and the usage", async () => {
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true } });
    const contents: string[] = [];
    let usage: unknown;
    for await (const c of stream) {
      const content = c.choices[0]?.delta.content;
      if (content) contents.push(content);
      if (c.usage) usage = c.usage;
    }
    expect(contents).toHaveLength(1000);
    expect(contents.join("").split(" ")).toHaveLength(1000);
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) as number });
  });

  it("leaves every other prompt alone (the echo answer)", async () => {
    expect(longAnswer("Say hello in five words.")).toBeUndefined();
    expect(longAnswer("answer in 0 words")).toBeUndefined();
    const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] });
    expect(r.choices[0]?.message.content).toBe("Echo: hello");
  });
});
