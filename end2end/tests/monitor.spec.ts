import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// The operator's monitor: one thread per chat session, replies labelled with persona and
// version, previews in the user list, errors next to their form, a phone-sized screen.

async function operator(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const op = await (await browser.newContext({ viewport })).newPage();
  await login(op);
  return op;
}

async function createPersona(op: Page, name: string): Promise<number> {
  const res = await op.request.post("/admin/templates", { data: { name, content: `You are ${name}.` } });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

/** A new end user who says each message to the persona `id` in the chat page; returns their id. */
async function userChats(browser: Browser, turns: Array<[number, string]>): Promise<{ uid: string; chat: Page }> {
  const ctx = await browser.newContext();
  const chat = await ctx.newPage();
  for (const [id, text] of turns) {
    await chat.goto(`/chat?persona=${id}`);
    await hydrated(chat);
    const box = chat.getByRole("textbox", { name: "Message", exact: true });
    await box.fill(text);
    await box.press("Enter");
    await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Reply`, { exact: false }).filter({ hasText: text })).toBeVisible();
  }
  const uid = (await ctx.cookies()).find((c) => c.name === "pd_uid")!.value;
  return { uid, chat };
}

test("one thread per chat session, replies labelled with persona and version, the list previews the last message", async ({ browser }) => {
  const op = await operator(browser);
  const [orion, lyra] = [unique("Orion"), unique("Lyra")];
  const orionId = await createPersona(op, orion);
  const lyraId = await createPersona(op, lyra);
  // Lyra gets a second published version before anyone chats with her.
  const v2 = await op.request.put(`/admin/templates/${lyraId}`, { data: { content: `You are ${lyra}, v2.` } });
  expect(v2.ok()).toBeTruthy();

  const { uid, chat } = await userChats(browser, [
    [orionId, "Hello Orion"],
    [lyraId, "Hello Lyra"],
  ]);

  // The list: the user's row previews their newest message (Lyra's reply).
  await op.goto("/dashboard/monitor");
  await hydrated(op);
  const row = op.getByRole("row").filter({ has: op.getByRole("link", { name: uid }) });
  await expect(row.getByTestId("last-message")).toHaveText(/^Persona: Reply \d+ to: Hello Lyra$/);
  // Live: a new message changes the preview without a reload.
  const box = chat.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("What is your brightest star?");
  await box.press("Enter");
  await expect(row.getByTestId("last-message")).toHaveText(/^Persona: Reply \d+ to: What is your brightest star\?$/);

  // The conversation: a tab per session, the most recently active one open.
  await row.getByRole("link", { name: uid }).click();
  await hydrated(op);
  const tabs = op.getByRole("tablist", { name: "Chat sessions" });
  await expect(tabs.getByRole("tab")).toHaveCount(2);
  const lyraTab = tabs.getByRole("tab", { name: new RegExp(`^${lyra}`) });
  const orionTab = tabs.getByRole("tab", { name: new RegExp(`^${orion}`) });
  await expect(lyraTab).toHaveAttribute("aria-selected", "true");
  await expect(lyraTab).toContainText("4 messages");
  const thread = op.getByRole("tabpanel");
  await expect(thread.getByText("Hello Lyra", { exact: true })).toBeVisible();
  await expect(thread.getByText("Hello Orion", { exact: true })).toHaveCount(0);
  await expect(thread.locator("[data-sender=assistant] .who").first()).toHaveText(`${lyra} v2`);
  await op.screenshot({ path: test.info().outputPath("monitor-sessions-1280.png"), fullPage: true });

  await orionTab.click();
  await expect(orionTab).toHaveAttribute("aria-selected", "true");
  await expect(thread.getByText("Hello Orion", { exact: true })).toBeVisible();
  await expect(thread.getByText("Hello Lyra", { exact: true })).toHaveCount(0);
  await expect(thread.locator("[data-sender=assistant] .who")).toHaveText(`${orion} v1`);

  // An operator message goes to the thread on screen (Orion's), not to the newest one.
  await op.getByLabel(`Message as operator (in the chat with ${orion})`).fill("A note in the Orion chat");
  await op.getByRole("button", { name: "Send as operator" }).click();
  await expect(thread.getByText("A note in the Orion chat")).toBeVisible();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("A note in the Orion chat")).toHaveCount(0); // the user has Lyra open
  await chat.goto(`/chat?persona=${orionId}`);
  await hydrated(chat);
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("A note in the Orion chat")).toBeVisible();
  await lyraTab.click();
  await expect(thread.getByText("A note in the Orion chat")).toHaveCount(0);
});

test("the memory form's error appears next to the form and goes away after a success", async ({ browser }) => {
  const op = await operator(browser);
  const id = await createPersona(op, unique("Memo"));
  const { uid } = await userChats(browser, [[id, "Remember me"]]);
  await op.goto(`/dashboard/monitor/${uid}`);
  await hydrated(op);
  const memory = op.getByRole("region", { name: "Memory" });
  await memory.getByLabel("Key").fill("favourite colour");
  await memory.getByLabel("Value (text or JSON)").fill("blue");
  await memory.getByRole("button", { name: "Remember" }).click();
  const error = memory.getByTestId("memory-error").getByRole("alert");
  await expect(error).toHaveText("a key is 1 to 64 letters, digits, _ - or .");
  // Only there, and the form keeps what was typed.
  await expect(op.getByRole("alert")).toHaveCount(1);
  await expect(memory.getByLabel("Value (text or JSON)")).toHaveValue("blue");

  await memory.getByLabel("Key").fill("favourite_colour");
  await memory.getByRole("button", { name: "Remember" }).click();
  await expect(memory.getByRole("row", { name: /favourite_colour/ })).toContainText('"blue"');
  await expect(op.getByRole("alert")).toHaveCount(0);
});

test("at 390 px the monitor pages do not scroll sideways", async ({ browser }) => {
  const op = await operator(browser, { width: 390, height: 844 });
  const id = await createPersona(op, unique("Narrow screens need short names but this one is long"));
  const { uid } = await userChats(browser, [
    [id, "A message with a-very-long-word-" + "that-does-not-break-anywhere-".repeat(5)],
  ]);
  expect((await op.request.put(`/admin/users/${uid}/memory/long_value`, { data: { value: { text: "y".repeat(300) } } })).ok()).toBeTruthy();

  await op.goto("/dashboard/monitor");
  await hydrated(op);
  await expect(op.getByRole("link", { name: uid })).toBeVisible();
  await op.screenshot({ path: test.info().outputPath("monitor-list-390.png"), fullPage: true });
  expect(await op.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);

  await op.getByRole("link", { name: uid }).click();
  await hydrated(op);
  await expect(op.getByTestId("user-status")).toHaveText("active");
  await expect(op.getByText("long_value")).toBeVisible();
  await op.screenshot({ path: test.info().outputPath("monitor-user-390.png"), fullPage: true });
  expect(await op.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
});
