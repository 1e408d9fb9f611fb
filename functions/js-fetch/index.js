// js-fetch: GETs the URL in the request body through the platform's outbound HTTP and answers
// with the upstream status, content type and body, like the C example `fetch-json`. Only
// http://127.0.0.1 is granted, so any other URL is refused: fetch() rejects with a TypeError
// ("... not granted by capabilities.http (-1)"), answered here as 403.
const NULL_BODY = new Set([204, 205, 304]);

export default {
  async fetch(request) {
    const url = (await request.text()).trim();
    if (!url) return new Response("js-fetch: send a URL in the body\n", { status: 400 });
    let upstream;
    try {
      upstream = await fetch(url, { headers: { accept: "application/json" } });
    } catch (error) {
      // error.code: -1 not granted, -6 invalid request; a URL that does not parse has none
      const status = error.code === -1 ? 403 : error.code === -6 || error.code === undefined ? 400 : 502;
      return new Response(`js-fetch: ${error.message}\n`, { status });
    }
    const body = NULL_BODY.has(upstream.status) ? null : await upstream.arrayBuffer();
    return new Response(body, {
      status: upstream.status < 200 ? 502 : upstream.status,
      headers: {
        "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
        "x-upstream-status": String(upstream.status),
      },
    });
  },
};
