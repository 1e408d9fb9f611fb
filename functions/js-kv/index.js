// js-kv: adds one to the count of the name in the request body (default "visits") in the
// key-value store "counters" and answers the new count, like the C example `counter`. The store
// is env.counters because function.yaml grants `kv: [counters]`; incr is atomic and durable
// when its promise resolves, whichever compartment or node makes it.
const encoder = new TextEncoder();

export default {
  async fetch(request, env) {
    const name = (await request.text()) || "visits";
    if (encoder.encode(name).length > 512) {
      return new Response("a name is at most 512 bytes\n", { status: 400 });
    }
    try {
      const count = await env.counters.incr(name);
      return new Response(`${count}\n`, { headers: { "content-type": "text/plain" } });
    } catch (error) {
      // error.code is the intravisor code: -6 (invalid) when the value is not a number
      return new Response(`counter: ${error.message}\n`, { status: error.code === -6 ? 400 : 503 });
    }
  },
};
