import { expect, test, type Page } from "@playwright/test";
import { composer, failOnDialog, openChat, operatorWithPersona, say } from "./chat-helpers";
import { hydrated, unique } from "./helpers";

// Replies streamed into the chat and the monitor as they are generated; Stop, Regenerate
// and the versions pager; Markdown rendered, and injected HTML inert. The fake LLM streams
// when asked to (150 ms between pieces; "slowly": 40 more words, 500 ms apart).

function messages(page: Page) {
  return page.getByRole("list", { name: "Messages" });
}

/** The stored assistant reply whose text matches `text`. */
function reply(page: Page, text: RegExp | string) {
  return messages(page).locator("li.msg[data-sender=assistant]").filter({ hasText: text });
}

test("a streamed reply grows on screen before the send finishes, then shows the stored reply", async ({ browser }) => {
  const name = unique("Cygnus");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`);
  const sends: string[] = [];
  chat.on("requestfinished", (r) => {
    if (r.url().includes("/api/chat/send_message")) sends.push(r.url());
  });
  await composer(chat).fill("Tell me a story slowly");
  await composer(chat).press("Enter");
  const live = chat.getByTestId("streaming-reply");
  // Typing first, then the text, growing.
  await expect(live).toBeVisible();
  await expect(live.locator(".text")).toHaveText(/^Reply \d+ to: /);
  const first = (await live.locator(".text").textContent()) ?? "";
  await expect(live.locator(".text")).toContainText("word3");
  const later = (await live.locator(".text").textContent()) ?? "";
  expect(later.length).toBeGreaterThan(first.length);
  expect(later.startsWith(first)).toBeTruthy();
  expect(sends).toEqual([]); // the send is still running
  await expect(chat.getByRole("button", { name: "Send" })).toBeDisabled();
  await chat.screenshot({ path: test.info().outputPath("streaming-1280.png") });

  // A short reply ends with the stored message.
  await chat.getByRole("button", { name: "Stop" }).click();
  await expect(live).toHaveCount(0);
  await say(chat, "And a quick one");
  expect(sends.length).toBe(2);
});

test("Stop keeps the partial reply, marked stopped, also after a reload", async ({ browser }) => {
  const name = unique("Lyra");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`, { width: 390, height: 844 });
  await composer(chat).fill("Recite the list slowly");
  await composer(chat).press("Enter");
  await expect(chat.getByTestId("streaming-reply")).toContainText("word2");
  await chat.screenshot({ path: test.info().outputPath("streaming-390.png") });
  await chat.getByRole("button", { name: "Stop" }).click();
  const stopped = reply(chat, /Reply \d+ to: Recite the list slowly/);
  await expect(stopped.getByTestId("stopped")).toHaveText("stopped");
  await expect(stopped).not.toContainText("word40");
  await expect(chat.getByTestId("streaming-reply")).toHaveCount(0);
  await expect(chat.getByRole("button", { name: "Stop" })).toHaveCount(0);
  await chat.screenshot({ path: test.info().outputPath("stopped-390.png") });
  await chat.reload();
  await hydrated(chat);
  await expect(reply(chat, /Recite the list slowly/).getByTestId("stopped")).toBeVisible();
  // The chat goes on.
  await say(chat, "Thanks anyway");
});

test("Regenerate adds a version and the pager goes back and forth between them", async ({ browser }) => {
  const name = unique("Vega");
  const { op, id } = await operatorWithPersona(browser, name);
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "Pick a number");
  const first = (await reply(chat, /Pick a number/).locator(".text").textContent())!.trim();
  await chat.getByRole("button", { name: "Regenerate" }).click();
  const regenerated = reply(chat, /Pick a number/);
  await expect(regenerated.getByTestId("version")).toHaveText("2/2");
  const second = (await regenerated.locator(".text").textContent())!.trim();
  expect(second).not.toEqual(first);
  await expect(messages(chat).locator("li.msg[data-sender=assistant]")).toHaveCount(1);
  await chat.screenshot({ path: test.info().outputPath("regenerated-1280.png") });

  await regenerated.getByRole("button", { name: "Previous version" }).click();
  await expect(regenerated.getByTestId("version")).toHaveText("1/2");
  await expect(regenerated.locator(".text")).toHaveText(first);
  await expect(regenerated.getByRole("button", { name: "Previous version" })).toBeDisabled();
  // The choice is kept.
  await chat.reload();
  await hydrated(chat);
  await expect(reply(chat, /Pick a number/).getByTestId("version")).toHaveText("1/2");
  await reply(chat, /Pick a number/).getByRole("button", { name: "Next version" }).click();
  await expect(reply(chat, /Pick a number/).getByTestId("version")).toHaveText("2/2");
  await expect(reply(chat, /Pick a number/).locator(".text")).toHaveText(second);

  // The monitor shows how many versions there are and which one counts.
  await op.goto(`/dashboard/monitor/${await uid()}`);
  await hydrated(op);
  await expect(op.getByTestId("versions")).toHaveText("2 versions, showing 2");
});

test("the operator's monitor shows a reply while it is being generated", async ({ browser }) => {
  const name = unique("Deneb");
  const { op, id } = await operatorWithPersona(browser, name);
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "Hello first");
  await op.goto(`/dashboard/monitor/${await uid()}`);
  await hydrated(op);
  await expect(op.getByText("Hello first", { exact: true })).toBeVisible();

  await composer(chat).fill("Now talk slowly");
  await composer(chat).press("Enter");
  const live = op.getByTestId("live-reply");
  await expect(live).toContainText("typing…");
  await expect(live.locator(".text")).toContainText("word2");
  const early = (await live.locator(".text").textContent()) ?? "";
  await expect(live.locator(".text")).toContainText("word4");
  expect(((await live.locator(".text").textContent()) ?? "").length).toBeGreaterThan(early.length);
  await op.screenshot({ path: test.info().outputPath("monitor-live-1280.png"), fullPage: true });

  await chat.getByRole("button", { name: "Stop" }).click();
  await expect(live).toHaveCount(0);
  await expect(op.locator("li.msg[data-sender=assistant]").filter({ hasText: "Now talk slowly" }).getByTestId("stopped")).toBeVisible();
});

test("Markdown is rendered, and injected HTML and javascript: links are inert in chat and monitor", async ({ browser }) => {
  const name = unique("Altair");
  const { op, id } = await operatorWithPersona(browser, name);
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  failOnDialog(chat);
  failOnDialog(op);

  await composer(chat).fill("Format it MD!");
  await composer(chat).press("Enter");
  const md = reply(chat, /Here is bold text/);
  await expect(md.locator("strong")).toHaveText("bold");
  await expect(md.locator("ul > li")).toHaveText(["first item", "second item"]);
  await expect(md.locator("pre code")).toContainText("let x = 1;");
  const link = md.getByRole("link", { name: "the docs" });
  await expect(link).toHaveAttribute("href", "https://example.com/docs");
  await expect(link).toHaveAttribute("target", "_blank");
  await expect(link).toHaveAttribute("rel", "noopener noreferrer");

  await composer(chat).fill("Try XSS! <script>alert(9)</script> <img src=y onerror=alert(8)>");
  await composer(chat).press("Enter");
  const evil = reply(chat, /Careful/);
  await expect(evil).toContainText("<img src=x onerror=alert(1)>");
  await expect(chat.getByTestId("streaming-reply")).toHaveCount(0);
  const mine = messages(chat).locator("li.msg[data-sender=user]").filter({ hasText: "Try XSS!" });
  await expect(mine).toHaveText(/<script>alert\(9\)<\/script> <img src=y onerror=alert\(8\)>/);
  for (const page of [chat, op]) {
    if (page === op) {
      await op.goto(`/dashboard/monitor/${await uid()}`);
      await hydrated(op);
      await expect(op.getByText(/Careful/)).toBeVisible();
    }
    const thread = page === chat ? messages(chat) : op.locator("ol.messages");
    await expect(thread.locator("script")).toHaveCount(0);
    await expect(thread.locator("img")).toHaveCount(0);
    await expect(thread.locator("[onerror]")).toHaveCount(0);
    await expect(thread.locator('a[href^="javascript"]')).toHaveCount(0);
    // The link text stays, without its javascript: target.
    const click = thread.getByText("click me");
    await expect(click).toBeVisible();
    await click.click();
    await expect(thread.locator("strong").first()).toBeVisible();
  }
  await chat.screenshot({ path: test.info().outputPath("markdown-xss-1280.png"), fullPage: true });
  // Give a dialog that would have opened a moment to show up.
  await chat.waitForTimeout(500);
});
