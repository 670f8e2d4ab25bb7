import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// Automatic memory with approval, and the sentiment chart in the monitor. The fake LLM
// answers the memory job ("durable facts") with the name and likes it finds in the
// message, and the sentiment job ("relational affect") with a score (negative for "sad").

async function operator(browser: Browser): Promise<Page> {
  const op = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await login(op);
  return op;
}

async function createPersona(op: Page, name: string): Promise<number> {
  const res = await op.request.post("/admin/templates", { data: { name, content: `You are ${name}.` } });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

async function settings(op: Page, id: number) {
  return (await op.request.get(`/admin/templates/${id}/memory`)).json();
}

/** A new end user who says each message to persona `id` in the chat page; returns their id. */
async function userChats(browser: Browser, id: number, texts: string[]): Promise<string> {
  const ctx = await browser.newContext();
  const chat = await ctx.newPage();
  await chat.goto(`/chat?persona=${id}`);
  await hydrated(chat);
  for (const text of texts) {
    const box = chat.getByRole("textbox", { name: "Message", exact: true });
    await box.fill(text);
    await box.press("Enter");
    await expect(chat.getByRole("list", { name: "Messages" }).getByText("Reply", { exact: false }).filter({ hasText: text })).toBeVisible();
  }
  return (await ctx.cookies()).find((c) => c.name === "pd_uid")!.value;
}

test("an extracted fact waits for approval, can be edited, and reaches memory once approved", async ({ browser }) => {
  const op = await operator(browser);
  const name = unique("Mnemo");
  const id = await createPersona(op, name);

  await op.goto("/dashboard/memory");
  await hydrated(op);
  await expect(op.getByRole("heading", { name: "Memory", level: 1 })).toBeVisible();
  await op.getByLabel(`Automatic memory for ${name}`).selectOption("approval");
  await expect.poll(async () => (await settings(op, id)).memory_extraction).toBe("approval");

  const uid = await userChats(browser, id, ["My name is Zora and I love sailing"]);

  // The queue fills on its own (live), one row per fact, with the message it came from.
  const facts = op.getByTestId("pending-fact").filter({ has: op.getByRole("link", { name: uid }) });
  await expect(facts).toHaveCount(2);
  const nameFact = facts.and(op.locator('[data-key="name"]'));
  const likesFact = facts.and(op.locator('[data-key="likes"]'));
  await expect(nameFact).toContainText("My name is Zora and I love sailing");
  await expect(nameFact.getByLabel(`Value of name for ${uid}`)).toHaveValue("Zora");
  expect((await (await op.request.get(`/admin/users/${uid}/memory`)).json()).memory).toEqual({});

  // Approve one as it is, edit the other, then approve it.
  await nameFact.getByRole("button", { name: "Approve" }).click();
  await expect(nameFact).toHaveCount(0);
  await likesFact.getByLabel(`Value of likes for ${uid}`).fill("sailing boats");
  await likesFact.getByRole("button", { name: "Approve" }).click();
  await expect(facts).toHaveCount(0);

  const memory = await (await op.request.get(`/admin/users/${uid}/memory`)).json();
  expect(memory.memory).toEqual({ name: "Zora", likes: "sailing boats" });
  expect(memory.entries.map((e: { source: string }) => e.source)).toEqual(["extraction", "extraction"]);

  // The monitor shows where each entry came from.
  await op.goto(`/dashboard/monitor/${encodeURIComponent(uid)}`);
  await hydrated(op);
  const row = op.getByRole("row").filter({ has: op.getByRole("rowheader", { name: "name", exact: true }) });
  await expect(row.getByTestId("memory-provenance")).toContainText(`approved by ${process.env.E2E_EMAIL}`);
  await expect(row.getByTestId("memory-provenance")).toContainText("extracted from message");
});

test("the monitor's conversation view charts the sentiment of the user's messages", async ({ browser }) => {
  const op = await operator(browser);
  const name = unique("Feels");
  const id = await createPersona(op, name);

  await op.goto("/dashboard/memory");
  await hydrated(op);
  await op.getByLabel(`Score sentiment in chats with ${name}`).check();
  await expect.poll(async () => (await settings(op, id)).sentiment_enabled).toBe(true);

  const uid = await userChats(browser, id, ["What a lovely morning", "Now I am sad"]);
  const conv = await (await op.request.get(`/admin/users/${uid}`)).json();
  const session = conv.sessions[0].id;
  await expect
    .poll(async () => (await (await op.request.get(`/admin/sessions/${session}/sentiment`)).json()).sentiments.length)
    .toBe(2);

  await op.goto(`/dashboard/monitor/${encodeURIComponent(uid)}`);
  await hydrated(op);
  const chart = op.getByTestId("sentiment-chart");
  await expect(chart.getByRole("img", { name: "Valence of the user's messages over time" })).toBeVisible();
  await expect(chart.locator("circle")).toHaveCount(2);
  await expect(chart.locator("polyline")).toHaveAttribute("points", /^\S+,\S+ \S+,\S+$/);
  await chart.getByText("Scores as a table").click();
  const rows = chart.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(3);
  await expect(rows.filter({ hasText: "0.70" })).toHaveCount(1);
  await expect(rows.filter({ hasText: "-0.60" })).toHaveCount(1);
  await expect(op.getByTestId("sentiment-user-average")).toContainText("2 scored messages");

  // The chat's own switch wins over the persona's.
  await expect(op.getByTestId("sentiment-state")).toContainText("the persona's setting");
  await op.getByRole("button", { name: "Turn off for this chat" }).click();
  await expect(op.getByTestId("sentiment-state")).toContainText("Scoring is off for this chat.");
});
