/**
 * The embeddings response in OpenAI's shape, for answers Hearth assembles (home's). Home's vectors
 * arrive as base64 of little-endian float32 values: passed on as they are for `base64`, decoded to
 * numbers for `float` (each the float32's exact value). Written out a vector at a time as the client
 * reads it: a big batch as float JSON (2,048 vectors of 3,072 numbers is over 100 MB) must never sit
 * whole in the Worker's 128 MB.
 */
import { decodeVector, type EncodingFormat } from "@hearth/shared";

export function homeBody(vectors: readonly string[], model: string, promptTokens: number, format: EncodingFormat): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = -1;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (next === -1) controller.enqueue(encoder.encode(`{"object":"list","data":[`));
        else if (next < vectors.length) {
          const v = vectors[next] ?? "";
          const embedding = JSON.stringify(format === "base64" ? v : Array.from(decodeVector(v)));
          controller.enqueue(encoder.encode(`${next > 0 ? "," : ""}{"object":"embedding","index":${next},"embedding":${embedding}}`));
        } else {
          const usage = JSON.stringify({ prompt_tokens: promptTokens, total_tokens: promptTokens });
          controller.enqueue(encoder.encode(`],"model":${JSON.stringify(model)},"usage":${usage}}`));
          controller.close();
        }
        next++;
      },
    },
    { highWaterMark: 0 },
  );
}
