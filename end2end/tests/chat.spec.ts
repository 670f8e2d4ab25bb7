import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// The end user's chat: reopening, pause and resume, the pending message, the length
// limit, cut replies, and a phone-sized screen.

/** An operator's page (logged in) and a published persona made through the REST API. */
async function operatorWithPersona(browser: Browser, name: string): Promise<{ op: Page; id: number }> {
  const op = await (await browser.newContext()).newPage();
  await login(op);
  const res = await op.request.post("/admin/templates", { data: { name, content: `You are ${name}.` } });
  expect(res.status()).toBe(201);
  return { op, id: (await res.json()).id };
}

/** A fresh end user (own cookie) with the chat open on `persona` (an id), hydrated. */
async function openChat(browser: Browser, query = "", viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport });
  const chat = await ctx.newPage();
  await chat.goto(`/chat${query}`);
  await hydrated(chat);
  const uid = async () => (await ctx.cookies()).find((c) => c.name === "pd_uid")!.value;
  return { chat, uid };
}

function composer(chat: Page) {
  return chat.getByRole("textbox", { name: "Message", exact: true });
}

async function say(chat: Page, text: string) {
  await composer(chat).fill(text);
  await composer(chat).press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(new RegExp(`^Reply \\d+ to: ${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`))).toBeVisible();
}

test("reopening the chat returns to the persona last chatted with, at the newest message", async ({ browser }) => {
  const name = unique("Vega");
  await operatorWithPersona(browser, name);
  // A short window, so that the history is longer than the screen.
  const { chat } = await openChat(browser, "", { width: 800, height: 480 });
  await chat.getByLabel("Persona").selectOption({ label: name });
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Say hello to ${name}.`)).toBeVisible();
  for (let i = 1; i <= 8; i++) await say(chat, `Star number ${i}`);

  // Opened again without naming a persona: the same one, scrolled to the end.
  await chat.goto("/chat");
  await hydrated(chat);
  await expect(chat.getByLabel("Persona").locator("option:checked")).toHaveText(name);
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Star number 1", { exact: true })).toBeAttached();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Star number 8$/)).toBeInViewport();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Star number 1", { exact: true })).not.toBeInViewport();
  await chat.screenshot({ path: test.info().outputPath("chat-reopened.png") });
  // And the conversation goes on with that persona.
  await say(chat, "Still here");
});

test("the paused banner goes away live when the operator resumes, and the held message is answered", async ({ browser }) => {
  const name = unique("Deneb");
  const { op, id } = await operatorWithPersona(browser, name);
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "Hello Deneb");
  const user = await uid();

  const halted = await op.request.post(`/admin/interventions/${user}/halt`, { data: { reason: "Checking" } });
  expect(halted.ok()).toBeTruthy();
  await expect(chat.getByTestId("paused-banner")).toContainText("Conversation paused");
  await composer(chat).fill("Anyone there?");
  await composer(chat).press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Anyone there?", { exact: true })).toBeVisible();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Anyone there\?$/)).toHaveCount(0);
  // Opened again while halted: the banner now comes from the server's HTML.
  await chat.reload();
  await hydrated(chat);
  await expect(chat.getByTestId("paused-banner")).toBeVisible();

  // Resumed from the monitor page: no reload on the user's side.
  await op.goto(`/dashboard/monitor/${user}`);
  await hydrated(op);
  await op.getByRole("button", { name: "Resume conversation" }).click();
  await expect(op.getByTestId("user-status")).toHaveText("active");
  await expect(chat.getByTestId("paused-banner")).toHaveCount(0);
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Anyone there\?$/)).toBeVisible();

  // Halted and resumed again through the API, while the user does nothing.
  expect((await op.request.post(`/admin/interventions/${user}/halt`, { data: { reason: "Again" } })).ok()).toBeTruthy();
  await expect(chat.getByTestId("paused-banner")).toBeVisible();
  expect((await op.request.post(`/admin/interventions/${user}/resume`)).ok()).toBeTruthy();
  await expect(chat.getByTestId("paused-banner")).toHaveCount(0);
  await say(chat, "Good to be back");
});

test("the user's own message shows once while the reply is pending", async ({ browser }) => {
  const name = unique("Rigel");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`);
  // The answer to the send is held back, so the reply stays pending while the stored
  // message arrives over the live stream.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await chat.route("**/api/chat/send_message**", async (route) => {
    const response = await route.fetch();
    await held;
    await route.fulfill({ response }).catch(() => {});
  });
  const messages = chat.getByRole("list", { name: "Messages" });
  await composer(chat).fill("Only once, please");
  await composer(chat).press("Enter");
  await expect(chat.getByText(`${name} is typing…`)).toBeVisible();
  // The reply is stored (it comes live), the send has not finished yet: the reply is
  // shown, no longer "typing".
  await expect(messages.getByText(/^Reply \d+ to: Only once, please$/)).toBeVisible();
  await expect(chat.getByText(`${name} is typing…`)).toHaveCount(0);
  await expect(messages.getByText("Only once, please", { exact: true })).toHaveCount(1);
  await expect(chat.getByTestId("pending-message")).toHaveCount(0);
  release();
  await expect(chat.getByText(`${name} is typing…`)).toHaveCount(0);
  await expect(messages.getByText("Only once, please", { exact: true })).toHaveCount(1);
});

test("a message over the length limit is refused with a clear message, not cut", async ({ browser }) => {
  const name = unique("Sirius");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`);
  const box = composer(chat);
  const send = chat.getByRole("button", { name: "Send" });

  await box.fill("a".repeat(100));
  await expect(chat.getByTestId("char-counter")).toHaveCount(0);
  await box.fill("a".repeat(3700));
  await expect(chat.getByTestId("char-counter")).toHaveText("3,700 / 4,000 characters");
  await expect(send).toBeEnabled();

  await box.fill("b".repeat(5000));
  await expect(box).toHaveValue("b".repeat(5000));
  await expect(chat.getByRole("alert")).toHaveText(
    "This message is 5,000 characters long; the limit is 4,000. Shorten it by 1,000 to send it.",
  );
  await expect(box).toHaveAttribute("aria-invalid", "true");
  await expect(send).toBeDisabled();
  await box.press("Enter");
  await expect(box).toHaveValue("b".repeat(5000));
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Say hello to ${name}.`)).toBeVisible();

  // Shortened to the limit, it goes.
  await box.fill("c".repeat(4000));
  await expect(chat.getByRole("alert")).toHaveCount(0);
  await expect(chat.getByTestId("char-counter")).toHaveText("4,000 / 4,000 characters");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: c{4000}$/)).toBeVisible();
  await expect(box).toHaveValue("");
});

test("a reply that stopped at the length limit says it was cut", async ({ browser }) => {
  const name = unique("Altair");
  const { op, id } = await operatorWithPersona(browser, name);
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "A short one");
  await say(chat, "A long one CUT!");
  const cut = chat.getByRole("list", { name: "Messages" }).getByText("… (reply cut at the length limit)");
  await expect(cut).toHaveCount(1);
  await expect(chat.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: "Reply" }).filter({ hasText: "A long one CUT!" })).toContainText(
    "(reply cut at the length limit)",
  );
  // The operator's monitor shows it too.
  await op.goto(`/dashboard/monitor/${await uid()}`);
  await expect(op.getByText("… (reply cut at the length limit)")).toHaveCount(1);
});

test("at 390 px nothing on the chat scrolls sideways, even with a long persona name", async ({ browser }) => {
  const name = unique("Professor Bartholomew Quillfeather, Keeper of the Very Long Names");
  const { id } = await operatorWithPersona(browser, name);
  const { chat } = await openChat(browser, `?persona=${id}`, { width: 390, height: 844 });
  await say(chat, "Hello from a phone");
  await say(chat, "https://example.com/" + "a-very-long-path-segment-without-spaces".repeat(4));
  await composer(chat).fill("x".repeat(3900));
  await expect(chat.getByTestId("char-counter")).toBeVisible();
  const width = await chat.evaluate(() => document.scrollingElement!.scrollWidth);
  await chat.screenshot({ path: test.info().outputPath("chat-390.png"), fullPage: true });
  expect(width).toBeLessThanOrEqual(390);
  // The long name is still the one picked.
  await expect(chat.getByLabel("Persona").locator("option:checked")).toHaveText(name);
});
