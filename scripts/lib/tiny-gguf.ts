/**
 * Writes a tiny but valid GGUF v3 model, because no model can be downloaded on the machines Hearth is
 * tested on. A `llama` architecture with random (seeded, so deterministic) F32 weights: 2 layers,
 * embedding 64, 4 heads, FFN 128, and a SentencePiece-style vocabulary of `<unk> <s> </s>`, the 256
 * byte tokens `<0xNN>` and `▁`, so any text tokenizes (one byte per token). It loads and generates
 * nonsense at thousands of tokens/s on one CPU thread: enough to exercise loading, streaming,
 * parallel sequences, cancellation and memory accounting for real. About 470 KB.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { mulberry32 } from "./prng.js";

export interface TinyGgufOptions {
  /** `llama.context_length`: the context the model says it was trained on. Default: 256. */
  contextLength?: number;
  /** `tokenizer.chat_template`. Default: a short ChatML template (a long one would not fit in 256 tokens). */
  chatTemplate?: string;
  /** Seed of the weights; different seeds give different (equally meaningless) models. Default: 1. */
  seed?: number;
  /**
   * Dimensions, for measurements that need a heavier model (e.g. thread scaling, where the tiny one
   * is dominated by synchronisation). Default: {@link TINY_SHAPE}.
   */
  shape?: ModelShape;
  /**
   * `llama.pooling_type` (1 mean, 2 cls, 3 last), which marks a GGUF as an embedding model, as
   * llama.cpp's converter writes it for sentence-embedding models. Default: not written (a chat model).
   */
  poolingType?: number;
  /** `general.name`. Default: "hearth-tiny". */
  name?: string;
}

export interface ModelShape {
  embedding: number;
  layers: number;
  heads: number;
  feedForward: number;
}

export const TINY_SHAPE: ModelShape = { embedding: 64, layers: 2, heads: 4, feedForward: 128 };

export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * A Qwen 2.5-style template that renders `tools` and `tool_calls`, from which node-llama-cpp extracts
 * a function-call syntax: a model written with it is listed with `tools: true`.
 */
export const TOOLS_CHAT_TEMPLATE =
  "{%- if tools %}{{- '<|im_start|>system\\n# Tools\\n<tools>' }}{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}" +
  "{{- '\\n</tools><|im_end|>\\n' }}{%- endif %}{%- for message in messages %}" +
  "{%- if message.role == 'assistant' and message.tool_calls %}{{- '<|im_start|>assistant' }}{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}" +
  "{%- for tool_call in message.tool_calls %}{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}" +
  "{{- '\\n<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}{%- endfor %}" +
  "{{- '<|im_end|>\\n' }}{%- elif message.role == 'tool' %}{{- '<|im_start|>user\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response><|im_end|>\\n' }}" +
  "{%- else %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const ALIGNMENT = 32;

// GGUF metadata value types and the one tensor type used here.
const T = { u32: 4, i32: 5, f32: 6, string: 8, array: 9 } as const;
const GGML_F32 = 0;
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

type Meta =
  | { t: "u32"; v: number }
  | { t: "f32"; v: number }
  | { t: "string"; v: string }
  | { t: "strings"; v: string[] }
  | { t: "f32s"; v: number[] }
  | { t: "i32s"; v: number[] };

/** Little-endian byte sink that grows as needed. */
class Sink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.room(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.room(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(): void {
    const n = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT;
    this.room(n);
    this.length += n; // Buffer.alloc zero-fills
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function arrayHeader(out: Sink, elementType: number, count: number): void {
  out.u32(T.array);
  out.u32(elementType);
  out.u64(count);
}

function writeMeta(out: Sink, key: string, m: Meta): void {
  out.str(key);
  switch (m.t) {
    case "u32":
      out.u32(T.u32);
      return out.u32(m.v);
    case "f32":
      out.u32(T.f32);
      return out.f32(m.v);
    case "string":
      out.u32(T.string);
      return out.str(m.v);
    case "strings":
      arrayHeader(out, T.string, m.v.length);
      return m.v.forEach((s) => out.str(s));
    case "f32s":
      arrayHeader(out, T.f32, m.v.length);
      return m.v.forEach((x) => out.f32(x));
    case "i32s":
      arrayHeader(out, T.i32, m.v.length);
      return m.v.forEach((x) => out.i32(x));
  }
}

function vocabulary(): { tokens: string[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_TYPE.byte);
  }
  tokens.push("▁");
  types.push(TOKEN_TYPE.normal);
  return { tokens, types };
}

/** Tensor names and GGML shapes (innermost dimension first), in file order. */
function tensorShapes(vocab: number, shape: ModelShape): [string, number[]][] {
  const { embedding: embd, feedForward: ff, layers } = shape;
  const out: [string, number[]][] = [
    ["token_embd.weight", [embd, vocab]],
    ["output_norm.weight", [embd]],
    ["output.weight", [embd, vocab]],
  ];
  for (let i = 0; i < layers; i++) {
    const blk = `blk.${i}.`;
    out.push(
      [`${blk}attn_norm.weight`, [embd]],
      [`${blk}attn_q.weight`, [embd, embd]],
      [`${blk}attn_k.weight`, [embd, embd]],
      [`${blk}attn_v.weight`, [embd, embd]],
      [`${blk}attn_output.weight`, [embd, embd]],
      [`${blk}ffn_norm.weight`, [embd]],
      [`${blk}ffn_gate.weight`, [embd, ff]],
      [`${blk}ffn_up.weight`, [embd, ff]],
      [`${blk}ffn_down.weight`, [ff, embd]],
    );
  }
  return out;
}


/** The whole file as bytes. */
export function tinyGgufBytes(opts: TinyGgufOptions = {}): Buffer {
  const { tokens, types } = vocabulary();
  const shape = opts.shape ?? TINY_SHAPE;
  const meta: [string, Meta][] = [
    ["general.architecture", { t: "string", v: "llama" }],
    ["general.name", { t: "string", v: opts.name ?? "hearth-tiny" }],
    ["general.alignment", { t: "u32", v: ALIGNMENT }],
    ["llama.context_length", { t: "u32", v: opts.contextLength ?? 256 }],
    ["llama.embedding_length", { t: "u32", v: shape.embedding }],
    ["llama.block_count", { t: "u32", v: shape.layers }],
    ["llama.feed_forward_length", { t: "u32", v: shape.feedForward }],
    ["llama.attention.head_count", { t: "u32", v: shape.heads }],
    ["llama.attention.layer_norm_rms_epsilon", { t: "f32", v: 1e-5 }],
    ["tokenizer.ggml.model", { t: "string", v: "llama" }],
    ["tokenizer.ggml.tokens", { t: "strings", v: tokens }],
    ["tokenizer.ggml.scores", { t: "f32s", v: tokens.map(() => 0) }],
    ["tokenizer.ggml.token_type", { t: "i32s", v: types }],
    ["tokenizer.ggml.bos_token_id", { t: "u32", v: 1 }],
    ["tokenizer.ggml.eos_token_id", { t: "u32", v: 2 }],
    ["tokenizer.chat_template", { t: "string", v: opts.chatTemplate ?? TINY_CHAT_TEMPLATE }],
    ...(opts.poolingType === undefined ? [] : [["llama.pooling_type", { t: "u32", v: opts.poolingType }] as [string, Meta]]),
  ];
  const tensors = tensorShapes(tokens.length, shape);

  const out = new Sink();
  out.u32(0x46554747); // "GGUF"
  out.u32(3);
  out.u64(tensors.length);
  out.u64(meta.length);
  for (const [key, m] of meta) writeMeta(out, key, m);

  writeTensorInfo(out, tensors);
  writeTensorData(out, tensors, opts.seed ?? 1);
  return out.bytes();
}

const elements = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function writeTensorInfo(out: Sink, tensors: [string, number[]][]): void {
  let offset = 0;
  for (const [name, dims] of tensors) {
    out.str(name);
    out.u32(dims.length);
    for (const d of dims) out.u64(d);
    out.u32(GGML_F32);
    out.u64(offset);
    offset += Math.ceil((elements(dims) * 4) / ALIGNMENT) * ALIGNMENT;
  }
  out.pad();
}

function writeTensorData(out: Sink, tensors: [string, number[]][], seed: number): void {
  const rand = mulberry32(seed);
  for (const [name, dims] of tensors) {
    // Norm weights of 1 keep activations in range; matrices small and centred on 0.
    const isNorm = name.endsWith("norm.weight");
    for (let i = 0, n = elements(dims); i < n; i++) out.f32(isNorm ? 1 : (rand() - 0.5) * 0.2);
    out.pad();
  }
}

/** Writes the tiny model to `path` (directories must exist). */
export async function writeTinyGguf(path: string, opts: TinyGgufOptions = {}): Promise<void> {
  await writeFile(path, tinyGgufBytes(opts));
}

/** `<repo>/.hearth/models`: git-ignored, shared by tests, benchmarks and a developer's sidecar. */
export const DEFAULT_TINY_MODEL_DIR = resolve(import.meta.dirname, "../../.hearth/models");

/**
 * The model `pnpm start` serves when no other is configured: the tiny one with a 4,096-token context,
 * so the plainest first request (a short message, no max_tokens: Hearth keeps 256 tokens free for the
 * answer) fits. With 256, that request was refused for its context. Measured here with node-llama-cpp
 * (CPU, 2 slots): 4,096 loads in ~1.0–1.9 s against ~0.9 s and takes ~13 MB more memory; a request
 * without max_tokens runs until the model happens to end it (~300–1,500 tokens, 0.1–2 s here) or the
 * context is full (~4,000 tokens, ~9 s at temperature 0). Tests keep the 256-token default: smaller, and
 * their context limits are part of what they check.
 */
export const DEMO_MODEL: TinyGgufOptions = { contextLength: 4096 };

/** Where `pnpm start` keeps the demo model: apart from the tests' tiny model, which has another context. */
export const DEMO_MODEL_DIR = resolve(import.meta.dirname, "../../.hearth/demo-model");

/**
 * Writes `hearth-tiny.gguf` with `opts` into `dir` unless a file with exactly those bytes is there (one
 * an older version wrote with other options is replaced); returns its path.
 */
export async function ensureTinyModel(dir: string = DEFAULT_TINY_MODEL_DIR, opts: TinyGgufOptions = {}): Promise<string> {
  const path = join(dir, "hearth-tiny.gguf");
  const bytes = tinyGgufBytes(opts);
  const current = await readFile(path).catch(() => undefined);
  if (current?.equals(bytes)) return path;
  await mkdir(dirname(path), { recursive: true });
  // Write then rename, so a concurrent reader never sees half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return path;
}
