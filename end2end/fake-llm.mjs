// A fake OpenAI-compatible LLM for the end-to-end tests: answers every chat completion
// with "Reply N to: <the last user message>". When the prompt carries `SIGN:<word>` (in
// the system message, or in the single user message of a text-kind persona) the reply
// ends with " — <word>", so a test can tell which persona version answered. A user message
// containing `CUT!` gets finish_reason "length" (the reply stopped at max_tokens).
//
// A request with `"stream": true` is answered OpenAI-style as Server-Sent Events: the
// reply in pieces (`data: {"choices":[{"delta":{"content":"…"}}]}`) 150 ms apart, then a
// chunk with finish_reason and usage, then `data: [DONE]`. A user message containing
// `slowly` gets 40 more words and streams them in small pieces 500 ms apart (time to
// press Stop). Magic words
// for the rendering tests: `XSS!` makes the reply carry an `<img onerror>`, a
// `javascript:` link and a `<script>`; `MD!` makes it Markdown (bold, a list, code, a
// link). Loopback only.
import http from "node:http";

const port = Number(process.argv[2] ?? 8012);
const XSS = "Careful <img src=x onerror=alert(1)> and [click me](javascript:alert(2)) <script>alert(3)</script> end";
const MD = "Here is **bold** text.\n\n- first item\n- second item\n\n```\nlet x = 1;\n```\n\nSee [the docs](https://example.com/docs).";
let n = 0;

/** `text` cut into at most `max` pieces at word boundaries (spaces stay with the word before). */
function pieces(text, max) {
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const per = Math.ceil(words.length / max);
  const out = [];
  for (let i = 0; i < words.length; i += per) out.push(words.slice(i, i + per).join(""));
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stream(res, id, content, finish, slow) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  res.flushHeaders();
  const chunk = (choice, extra = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", model: "fake-e2e", choices: [choice], ...extra })}\n\n`;
  res.write(chunk({ index: 0, delta: { role: "assistant" }, finish_reason: null }));
  for (const piece of pieces(content, slow ? 50 : 6)) {
    await sleep(slow ? 500 : 150);
    if (res.destroyed) return;
    res.write(chunk({ index: 0, delta: { content: piece }, finish_reason: null }));
  }
  res.write(chunk({ index: 0, delta: {}, finish_reason: finish }, { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
  res.end("data: [DONE]\n\n");
}

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
      const parsed = JSON.parse(body);
      const msgs = parsed.messages ?? [];
      // Background jobs (memory.spec.ts), recognised by their instruction: memory extraction
      // ("durable facts") answers facts from "My name is X" / "I love Y"; sentiment scoring
      // ("relational affect") answers a score, negative when the message has "sad", and
      // prose no parser accepts when it has `UNSCORABLE!` (jobs.spec.ts: a failed job).
      const jobPrompt = msgs.find((m) => m.role === "system")?.content ?? "";
      if (jobPrompt.includes("durable facts") || jobPrompt.includes("relational affect")) {
        const text = msgs.filter((m) => m.role === "user").at(-1)?.content ?? "";
        let answer;
        if (jobPrompt.includes("durable facts")) {
          const facts = [];
          const name = /my name is (\w+)/i.exec(text)?.[1];
          const likes = /i love ([\w ]+)/i.exec(text)?.[1]?.trim();
          if (name) facts.push({ key: "name", value: name });
          if (likes) facts.push({ key: "likes", value: likes });
          answer = `Facts: ${JSON.stringify({ facts })}`;
        } else if (text.includes("UNSCORABLE!")) {
          answer = "I would rather not put a number on feelings.";
        } else {
          const sad = /sad/i.test(text);
          answer = JSON.stringify({ valence: sad ? -0.6 : 0.7, arousal: 0.4, dominance: 0.5, trust: 0.6, engagement: 0.8, confidence: 0.9 });
        }
        const reply = { id: "chatcmpl-job", object: "chat.completion", model: "fake-e2e",
          choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
        return;
      }
      const last = msgs.filter((m) => m.role === "user").at(-1)?.content ?? "";
      const prompt = msgs.find((m) => m.role === "system")?.content ?? (msgs.length === 1 ? last : "");
      const sign = /SIGN:(\w+)/.exec(prompt)?.[1];
      n += 1;
      const id = `chatcmpl-${n}`;
      let content = `Reply ${n} to: ${last}${sign ? ` — ${sign}` : ""}`;
      if (last.includes("XSS!")) content = `Reply ${n}: ${XSS}`;
      if (last.includes("MD!")) content = `Reply ${n}: ${MD}`;
      const finish = last.includes("CUT!") ? "length" : "stop";
      const slow = last.includes("slowly");
      if (slow) content += ` — ${Array.from({ length: 40 }, (_, i) => `word${i + 1}`).join(" ")}`;
      if (parsed.stream === true) {
        res.socket?.setNoDelay(true);
        stream(res, id, content, finish, slow).catch(() => res.destroy());
        return;
      }
      const reply = {
        id,
        object: "chat.completion",
        model: "fake-e2e",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  })
  .listen(port, "127.0.0.1");
