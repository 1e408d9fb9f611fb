// js-hello: the smallest useful JavaScript function, answering like the C example `hello`:
// "Hello, <body>!" (trailing newlines of the body dropped), or "Hello, world!" for an empty body.
export default {
  async fetch(request) {
    let name = await request.text();
    while (name.endsWith("\n") || name.endsWith("\r")) name = name.slice(0, -1);
    return new Response(`Hello, ${name || "world"}!\n`);
  },
};
