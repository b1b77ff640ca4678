/** A cloud provider as a target: its transforms and SDK behind the Opener interface. */
import type { AttemptFailure, ChatRequest, CloudProviderId, PlannedTarget } from "@hearth/shared";
import { openNative, type NativeMessages } from "../providers/anthropic/native.js";
import { openResponses, type NativeResponses } from "../providers/openai/responses.js";
import { providers } from "../providers/registry.js";
import type { Opener } from "../execute/opener.js";

export interface CloudContext {
  env: Env;
  req: ChatRequest;
  requestId: string;
  /** The client spoke Anthropic's Messages API: an Anthropic target gets its own body and answers in its own events. */
  anthropic?: NativeMessages;
  /** The client spoke OpenAI's Responses API: an OpenAI target gets its own body and answers in its own events. */
  openaiResponses?: NativeResponses;
}

export function cloudOpener(target: PlannedTarget, ctx: CloudContext): Opener {
  const provider = providers[target.provider as CloudProviderId];
  return {
    target,
    async open({ signal, prefix }) {
      const cfg = provider.config(ctx.env);
      // The planner skips unconfigured providers; a key removed since is a skip, not a crash.
      if (!cfg) throw new NotConfigured();
      const call = { signal, requestId: ctx.requestId };
      if (ctx.anthropic && target.provider === "anthropic" && prefix === undefined) return openNative(cfg, target.model, ctx.anthropic, call);
      if (ctx.openaiResponses && target.provider === "openai" && prefix === undefined) return openResponses(cfg, target.model, ctx.openaiResponses, call);
      const req = prefix === undefined ? ctx.req : provider.continuation(ctx.req, prefix);
      return provider.stream(req, target.model, cfg, call);
    },
    classify: (err): AttemptFailure => (err instanceof NotConfigured ? { kind: "unavailable", reason: "not_configured" } : provider.classifyError(err)),
  };
}

class NotConfigured extends Error {
  constructor() {
    super("no API key is configured for this provider");
    this.name = "NotConfigured";
  }
}
