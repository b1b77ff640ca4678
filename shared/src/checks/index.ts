/**
 * Checks of an answer from home against its request's contract: tool calls, a tool call written as
 * text, structured output, degenerate answers; whole (checkAnswer) or as it streams
 * (AnswerStreamChecker). Pure; runs in the Worker and in Node.
 */
export { CHECK_CODES, REPAIR_CODES, familyOf, type Answer, type AnswerToolCall, type CheckCode, type CheckFailure, type CheckFamily, type CheckResult, type FinishReason as AnswerFinishReason, type RepairCode } from "./types.js";
export { contractOf, carriesContract, callForced, toolsOffered, requestFamily, type RequestFamily, type Contract, type JsonFormat, type JsonSchema, type ToolChoice, type ToolSpec } from "./contract.js";
export { checkAnswer, type CheckOptions } from "./check.js";
export { AnswerStreamChecker, remainder, type AnswerDelta, type Feed, type StreamEnd } from "./stream.js";
export { LoopDetector, loopAtEnd, loopInCutAnswer, END_LOOP, STREAM_LOOP, type Loop, type LoopThresholds } from "./repetition.js";
export { findJson, type FoundJson } from "./json.js";
export { validateJson, closeObjects, type SchemaVerdict } from "./schema.js";
export { textCall, randomCallId, type NewId, type TextCallVerdict } from "./text-call.js";
export { checkToolCalls, readArguments } from "./tools.js";
export { checkStructured } from "./structured.js";
export { sniffCall } from "./sniff.js";
