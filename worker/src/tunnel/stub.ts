/** The user's SidecarHub: one Durable Object per user, named by the user's id. */
export function hubFor(env: Env, userId: string) {
  return env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(userId));
}
