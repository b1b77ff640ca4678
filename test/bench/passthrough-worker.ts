/**
 * The benchmark's floor: an empty Worker that forwards the request to the upstream untouched.
 * Whatever it costs is wrangler dev's and workerd's, not Hearth's.
 */
export default {
  async fetch(request: Request, env: { OPENAI_BASE_URL: string }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const upstream = env.OPENAI_BASE_URL.replace(/\/v1$/, "") + url.pathname;
    return fetch(upstream, {
      method: request.method,
      headers: { authorization: "Bearer test-openai-key", "content-type": "application/json" },
      body: request.body,
    });
  },
};
