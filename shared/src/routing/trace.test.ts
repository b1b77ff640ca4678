import { describe, expect, it } from "vitest";
import type { AttemptSummary } from "../errors.js";
import { formatTrace, parseTrace } from "./trace.js";

describe("trace header", () => {
  const entries: AttemptSummary[] = [
    { target: "anthropic/claude-x", outcome: "skipped", reason: "not_configured" },
    { target: "openai/gpt-4o", outcome: "failed", reason: "http_429", status: 429, ms: 12.4 },
    { target: "openai/gpt-4o", outcome: "served", reason: "ok", status: 200, ms: 80 },
  ];
  it("writes one entry per attempt, in order", () => {
    expect(formatTrace(entries)).toBe(
      "anthropic/claude-x;outcome=skipped;reason=not_configured, openai/gpt-4o;outcome=failed;reason=http_429;status=429;ms=12, openai/gpt-4o;outcome=served;status=200;ms=80",
    );
  });
  it("parses back what it wrote", () => {
    expect(parseTrace(formatTrace(entries))).toEqual([entries[0], { ...entries[1], ms: 12 }, entries[2]]);
  });
  it("carries home's pick among model sizes both ways", () => {
    const home: AttemptSummary = { target: "local/qwen-32b", outcome: "served", reason: "ok", pick: "hard", status: 200, ms: 900 };
    expect(formatTrace([home])).toBe("local/qwen-32b;outcome=served;pick=hard;status=200;ms=900");
    expect(parseTrace(formatTrace([home]))).toEqual([home]);
  });
  it("parses nothing from nothing", () => expect(parseTrace(null)).toEqual([]));
});

describe("checked answers in the trace", () => {
  it("writes and reads check= and repair=", () => {
    const entries = [
      { target: "local/qwen", outcome: "failed" as const, reason: "invalid_answer", check: "tool_args_schema", ms: 300 },
      { target: "local/qwen", outcome: "served" as const, reason: "ok", repair: "tool_call_from_text", status: 200, ms: 250 },
    ];
    const header = formatTrace(entries);
    expect(header).toBe("local/qwen;outcome=failed;reason=invalid_answer;check=tool_args_schema;ms=300, local/qwen;outcome=served;repair=tool_call_from_text;status=200;ms=250");
    expect(parseTrace(header)).toEqual(entries);
  });
});

