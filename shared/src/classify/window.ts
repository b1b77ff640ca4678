/**
 * The bounded part of a conversation the classifier reads. However long the prompt, the model sees
 * at most: the head of the system prompt, the heads of the few turns before the last user message,
 * and the last user message's head and tail (asks usually sit at the start or the end of a pasted
 * document). That bounds the cost of classifying a 100k-token prompt to about 5.5 KB of text; only
 * the token estimate reads everything.
 */
import { contentText, type ChatMessage } from "../openai/request.js";

/** Window sizes in UTF-16 code units. */
export const WINDOW = {
  /** Chars read from the start of the last user message. */
  lastHead: 2048,
  /** Chars read from its end, when it is longer than head + tail. */
  lastTail: 1024,
  /** Chars read from the start of the first system (or developer) message. */
  systemHead: 512,
  /** Chars read from the start of each earlier user or assistant message. */
  earlierHead: 512,
  /** Earlier user and assistant messages read, counting back from the last user message. */
  earlierMessages: 4,
} as const;

/**
 * How much each part counts in the n-gram model: the last user message is the request; earlier
 * turns are context ("now in C please" is code because of what came before).
 */
export const SEGMENT_WEIGHT = { last: 1, earlierUser: 0.5, assistant: 0.3, system: 0.3 } as const;

export interface Segment {
  text: string;
  weight: number;
  /** Part of the last user message. */
  last: boolean;
}

export interface Window {
  segments: Segment[];
  /** The last user message as the window holds it: whole, or its head and its tail. */
  lastPieces: string[];
  /** Length of the whole last user message, in chars. */
  lastChars: number;
  /** Chars of the last user message inside the window. */
  lastCharsRead: number;
  userTurns: number;
}

function lastUserIndex(messages: readonly ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === "user") return i;
  return messages.length - 1;
}

function head(text: string, n: number): string {
  return text.length > n ? text.slice(0, n) : text;
}

function earlierSegments(messages: readonly ChatMessage[], last: number): Segment[] {
  const out: Segment[] = [];
  for (let i = last - 1; i >= 0 && out.length < WINDOW.earlierMessages; i--) {
    const m = messages[i];
    if (!m || (m.role !== "user" && m.role !== "assistant")) continue;
    const text = head(contentText(m.content), WINDOW.earlierHead);
    const weight = m.role === "user" ? SEGMENT_WEIGHT.earlierUser : SEGMENT_WEIGHT.assistant;
    if (text) out.push({ text, weight, last: false });
  }
  return out.reverse();
}

/** The last message's window: whole, or its head and tail. */
function lastSegments(text: string): Segment[] {
  const { lastHead, lastTail } = WINDOW;
  if (text.length <= lastHead + lastTail) return [{ text, weight: SEGMENT_WEIGHT.last, last: true }];
  return [
    { text: text.slice(0, lastHead), weight: SEGMENT_WEIGHT.last, last: true },
    { text: text.slice(text.length - lastTail), weight: SEGMENT_WEIGHT.last, last: true },
  ];
}

export function readWindow(messages: readonly ChatMessage[]): Window {
  const segments: Segment[] = [];
  const system = messages.find((m) => m.role === "system" || m.role === "developer");
  if (system) segments.push({ text: head(contentText(system.content), WINDOW.systemHead), weight: SEGMENT_WEIGHT.system, last: false });
  const lastIdx = lastUserIndex(messages);
  segments.push(...earlierSegments(messages, lastIdx));
  const lastMsg = messages[lastIdx];
  const text = lastMsg && lastMsg.role !== "system" && lastMsg.role !== "developer" ? contentText(lastMsg.content) : "";
  segments.push(...lastSegments(text));
  let userTurns = 0;
  for (const m of messages) if (m.role === "user") userTurns++;
  const { lastHead, lastTail } = WINDOW;
  const lastPieces = segments.filter((s) => s.last).map((s) => s.text);
  return { segments, lastPieces, lastChars: text.length, lastCharsRead: Math.min(text.length, lastHead + lastTail), userTurns };
}
