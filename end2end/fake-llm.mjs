// A fake OpenAI-compatible LLM for the end-to-end tests: answers every chat completion
// with "Reply N to: <the last user message>". When the prompt carries `SIGN:<word>` (in
// the system message, or in the single user message of a text-kind persona) the reply
// ends with " — <word>", so a test can tell which persona version answered. A user message
// containing `CUT!` gets finish_reason "length" (the reply stopped at max_tokens). Loopback only.
import http from "node:http";

const port = Number(process.argv[2] ?? 8012);
let n = 0;
http
  .createServer((req, res) => {
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const msgs = JSON.parse(body).messages ?? [];
      const last = msgs.filter((m) => m.role === "user").at(-1)?.content ?? "";
      const prompt = msgs.find((m) => m.role === "system")?.content ?? (msgs.length === 1 ? last : "");
      const sign = /SIGN:(\w+)/.exec(prompt)?.[1];
      n += 1;
      const reply = {
        id: `chatcmpl-${n}`,
        object: "chat.completion",
        model: "fake-e2e",
        choices: [{ index: 0, message: { role: "assistant", content: `Reply ${n} to: ${last}${sign ? ` — ${sign}` : ""}` }, finish_reason: last.includes("CUT!") ? "length" : "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  })
  .listen(port, "127.0.0.1");
