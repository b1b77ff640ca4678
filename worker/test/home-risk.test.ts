import { describe, expect, it } from "vitest";
import { admin, call, newUser, type ErrorJson } from "./helpers.js";

const tool = (name: string) => ({ type: "function", function: { name, parameters: { type: "object", properties: {} } } });

function explain(key: string, body: unknown): Promise<Response> {
  return call("/v1/route/explain", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

interface Explained {
  rule: { name: string } | null;
  features: {
    home_risk: { value: number; logit: number; size_shift: number; learned_shift: number; riskiest?: boolean; evidence: string[] };
    agent_shape: { shape: string; evidence: string[] };
  };
}

describe("/v1/route/explain: home risk and agent shape", () => {
  it("shows the risk with its evidence and the shape of a Claude-Code main turn", async () => {
    const u = await newUser("risk");
    const r = await explain(u.apiKey, {
      model: "auto",
      messages: [
        { role: "system", content: "You are Claude Code, Anthropic's official CLI for Claude." },
        { role: "user", content: "list the files in src and fix the failing test" },
      ],
      tools: ["Task", "Bash", "Glob", "Grep", "LS", "Read", "Edit", "Write"].map(tool),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Explained;
    const risk = body.features.home_risk;
    expect(risk.value).toBeGreaterThan(0);
    expect(risk.value).toBeLessThan(1);
    expect(risk.value).toBeCloseTo(1 / (1 + Math.exp(-risk.logit)), 2);
    expect(risk.evidence[0]).toMatch(/^model logit/);
    expect(body.features.agent_shape).toEqual({ shape: "main", evidence: ["agent system prompt", "8 tools incl. Task", expect.stringMatching(/^~\d+ tokens$/)] });
  });

  it("a background call is recognised from its small model name; a plain question has no shape", async () => {
    const u = await newUser("risk-bg");
    const bg = (await (await explain(u.apiKey, { model: "auto", messages: [{ role: "user", content: "hello there" }] })).json()) as Explained;
    expect(bg.features.agent_shape.shape).toBe("none");
    // The client's model name counts on /v1/messages; on chat, `model` is the name.
    const r = await explain(u.apiKey, { model: "openai/gpt-4.1-mini", messages: [{ role: "user", content: "Write a 5-word title for: fixing the login bug" }] });
    expect(((await r.json()) as Explained).features.agent_shape.shape).toBe("background");
  });

  it("the policy's cloudShare marks the riskiest share in explain, and a bad one is a 400 naming the field", async () => {
    const u = await newUser("risk-share");
    expect((await admin("PUT", `/users/${u.id}/policy`, { mode: "hybrid", cloudShare: 100 })).status).toBe(200);
    const body = (await (await explain(u.apiKey, { model: "auto", messages: [{ role: "user", content: "What is 2 + 2?" }] })).json()) as Explained;
    expect(body.features.home_risk.riskiest).toBe(true);
    expect(body.features.home_risk.evidence).toContain("among the riskiest 100% (cloudShare)");
    const bad = await admin("PUT", `/users/${u.id}/policy`, { mode: "hybrid", cloudShare: 150 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorJson).error.param).toMatch(/cloudShare/);
  });
});
