export * from "./errors.js";
export * from "./openai/request.js";
export * from "./openai/validate.js";
export * from "./routing/targets.js";
export * from "./routing/retry.js";
export * from "./routing/trace.js";
export * from "./tunnel/protocol.js";
