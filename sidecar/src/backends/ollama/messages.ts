/**
 * OpenAI chat messages → Ollama's `/api/chat` messages. Pure: no I/O, so every mapping is tested alone.
 *
 * What does not map is refused with a BackendError rather than dropped, so the Worker can send the
 * request elsewhere instead of getting an answer to a different question:
 *   - image URLs over http(s): the sidecar does not fetch remote content for a model;
 *   - audio and file parts: Ollama's chat has no field for them.
 */
import { contentText, type ChatMessage } from "@hearth/shared";
import type { Message, ToolCall } from "ollama";
import { BackendError } from "../types.js";

type UserContent = Extract<ChatMessage, { role: "user" }>["content"];
type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;

/** `data:image/<type>[;param…];base64,<payload>` */
const DATA_URL = /^data:image\/[\w.+-]+(?:;[^;,]*)*;base64,(.+)$/is;

/** The base64 payload of an image `data:` URL; refuses anything Ollama cannot take as an image. */
export function imageData(url: string): string {
  const payload = DATA_URL.exec(url)?.[1];
  if (payload) return payload;
  if (/^https?:\/\//i.test(url)) {
    throw new BackendError("unsupported", "image URLs are not fetched by the local backend; send the image as a base64 data: URL");
  }
  throw new BackendError("unsupported", "images must be base64 data:image/… URLs");
}

function userMessage(content: UserContent): Message {
  if (typeof content === "string") return { role: "user", content };
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (part.type === "text") texts.push(part.text);
    else if (part.type === "image_url") images.push(imageData(part.image_url.url));
    else throw new BackendError("unsupported", `'${part.type}' content parts are not supported by Ollama`);
  }
  // Parts are separate passages; a newline keeps their words from running together.
  return { role: "user", content: texts.join("\n"), ...(images.length > 0 ? { images } : {}) };
}

/** OpenAI sends tool arguments as a JSON string; Ollama wants the object. */
export function parseArguments(name: string, args: string): ToolCall["function"]["arguments"] {
  if (args.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new BackendError("invalid_request", `arguments of the call to '${name}' are not valid JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BackendError("invalid_request", `arguments of the call to '${name}' must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function assistantMessage(m: AssistantMessage): Message {
  const content = contentText(m.content ?? null) || (m.refusal ?? "");
  if (!m.tool_calls?.length) return { role: "assistant", content };
  const tool_calls = m.tool_calls.map((c) => ({ function: { name: c.function.name, arguments: parseArguments(c.function.name, c.function.arguments) } }));
  return { role: "assistant", content, tool_calls };
}

/** The whole conversation, in order. Tool results carry the called tool's name (Ollama has no call ids). */
export function toOllamaMessages(messages: readonly ChatMessage[]): Message[] {
  const toolNames = new Map<string, string>();
  return messages.map((m): Message => {
    switch (m.role) {
      case "system":
      case "developer":
        return { role: "system", content: contentText(m.content) };
      case "user":
        return userMessage(m.content);
      case "assistant":
        for (const c of m.tool_calls ?? []) toolNames.set(c.id, c.function.name);
        return assistantMessage(m);
      case "tool": {
        const name = toolNames.get(m.tool_call_id);
        return { role: "tool", content: contentText(m.content), ...(name ? { tool_name: name } : {}) };
      }
    }
  });
}
