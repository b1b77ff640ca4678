/** The one embedding model `auto` stands for: the user's policy `embeddingModel`, else the deployment's HEARTH_EMBEDDING_MODEL. */
import type { RoutingPolicy } from "@hearth/shared";

export function configuredEmbeddingModel(env: Env, policy: RoutingPolicy): string | undefined {
  return policy.embeddingModel ?? ((env as unknown as Record<string, string | undefined>).HEARTH_EMBEDDING_MODEL?.trim() || undefined);
}
