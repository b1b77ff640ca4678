/**
 * OpenAI chat messages → Anthropic's `system` string and alternating user/assistant turns. Pure.
 */
import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageParam,
  ToolUseBlockParam,
} from "@anthropic-ai/sdk/resources/messages";
import { contentText, HearthError, type ChatMessage, type UserContentPart } from "@hearth/shared";
import { UnsupportedFeatureError } from "./errors.js";

type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;
type Turn = { role: "user" | "assistant"; content: ContentBlockParam[] };

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;
type ImageType = (typeof IMAGE_TYPES)[number];

function isImageType(mime: string): mime is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(mime);
}

/** System and developer messages, wherever they appear, joined with blank lines. */
export function systemText(messages: readonly ChatMessage[]): string {
  const parts: string[] = [];
  for (const m of messages) {
    if (m.role !== "system" && m.role !== "developer") continue;
    const text = contentText(m.content);
    if (text) parts.push(text);
  }
  return parts.join("\n\n");
}

function imageBlock(url: string, param: string): ImageBlockParam {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) {
    const mime = (data[1] ?? "").toLowerCase();
    if (!isImageType(mime)) throw new UnsupportedFeatureError(`${mime} images`);
    return { type: "image", source: { type: "base64", media_type: mime, data: data[2] ?? "" } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  if (url.startsWith("data:")) throw new UnsupportedFeatureError("non-base64 data URL images");
  throw new HearthError("invalid_request", "Image URLs must be http(s) or base64 data URLs.", { param });
}

function userPart(part: UserContentPart, param: string): ContentBlockParam | null {
  switch (part.type) {
    case "text":
      return part.text ? { type: "text", text: part.text } : null;
    case "image_url":
      return imageBlock(part.image_url.url, `${param}.image_url.url`);
    case "input_audio":
      throw new UnsupportedFeatureError("input_audio");
    case "file":
      throw new UnsupportedFeatureError("file");
  }
}

function userBlocks(content: string | UserContentPart[], index: number): ContentBlockParam[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  const blocks: ContentBlockParam[] = [];
  content.forEach((part, j) => {
    const block = userPart(part, `messages[${index}].content[${j}]`);
    if (block) blocks.push(block);
  });
  return blocks;
}

/** OpenAI sends tool arguments as a JSON string; Anthropic wants the object itself. */
function toolInput(args: string, param: string): Record<string, unknown> {
  // Some clients send "" for a call without arguments; that means {}.
  if (args.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new HearthError("invalid_request", "Tool call arguments are not valid JSON.", { param });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HearthError("invalid_request", "Tool call arguments must be a JSON object.", { param });
  }
  return parsed as Record<string, unknown>;
}

function assistantBlocks(m: AssistantMessage, index: number): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  const text = contentText(m.content);
  if (text) blocks.push({ type: "text", text });
  (m.tool_calls ?? []).forEach((call, j) => {
    const input = toolInput(call.function.arguments, `messages[${index}].tool_calls[${j}].function.arguments`);
    const block: ToolUseBlockParam = { type: "tool_use", id: call.id, name: call.function.name, input };
    blocks.push(block);
  });
  return blocks;
}

function toTurn(m: ChatMessage, index: number): Turn | null {
  switch (m.role) {
    case "system":
    case "developer":
      return null;
    case "user":
      return { role: "user", content: userBlocks(m.content, index) };
    case "assistant":
      return { role: "assistant", content: assistantBlocks(m, index) };
    case "tool": {
      const text = contentText(m.content);
      const result: ContentBlockParam = { type: "tool_result", tool_use_id: m.tool_call_id };
      if (text) result.content = text;
      return { role: "user", content: [result] };
    }
  }
}

/**
 * Anthropic wants user and assistant turns to alternate, so consecutive turns of one role (including
 * tool results, which Anthropic carries in user turns) become one turn with several content blocks.
 * Empty turns are dropped rather than sent, since Anthropic rejects empty content.
 */
export function toMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const turns: Turn[] = [];
  messages.forEach((m, i) => {
    const turn = toTurn(m, i);
    if (!turn || turn.content.length === 0) return;
    const last = turns.at(-1);
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  });
  return turns;
}
