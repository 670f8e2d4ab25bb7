import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// Issue 10: from a reply in the monitor, inspect what went into it, then fork the turn to
// the playground and compare the version that answered with a draft, side by side.

test("a turn is inspected in the monitor and forked to the playground, both replies side by side", async ({ browser }) => {
  const op = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await login(op);
  const name = unique("Luna");
  // `SIGN:<word>` makes the fake LLM end its reply with " — <word>": each column shows
  // which version answered.
  const created = await op.request.post("/admin/templates", {
    data: { name, content: `You are ${name}. SIGN:prod` },
  });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id;

  // An end user chats with the production version (v1).
  const ctx = await browser.newContext();
  const chat = await ctx.newPage();
  await chat.goto(`/chat?persona=${id}`);
  await hydrated(chat);
  const box = chat.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("What is the moon made of?");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/to: What is the moon made of\? — prod$/)).toBeVisible();
  const uid = (await ctx.cookies()).find((c) => c.name === "pd_uid")!.value;

  // A draft version afterwards.
  const v2 = await op.request.put(`/admin/templates/${id}`, { data: { content: `You are ${name}, rewritten. SIGN:draft` } });
  expect(v2.ok()).toBeTruthy();

  await op.goto(`/dashboard/monitor/${uid}`);
  await hydrated(op);
  const reply = op.locator("li[data-sender=assistant]").filter({ hasText: "What is the moon made of?" });
  await expect(reply).toHaveCount(1);

  // The inspector: the version, the context and the exact messages sent.
  await reply.getByRole("button", { name: "Inspect" }).click();
  const inspector = reply.getByRole("region", { name: "Turn inspector" });
  await expect(inspector.getByTestId("inspect-version")).toHaveText("v1");
  // Linked to the call in the request log.
  await expect(inspector.getByTestId("inspect-request-link")).toHaveAttribute("href", /^\/dashboard\/requests\/\d+$/);
  await expect(inspector.getByTestId("inspect-summary")).toHaveText("none");
  await inspector.getByText(/^Messages sent/).click();
  const sent = inspector.getByTestId("inspect-messages");
  await expect(sent.getByRole("listitem").filter({ hasText: "system" })).toContainText(`You are ${name}. SIGN:prod`);
  await expect(sent.getByRole("listitem").filter({ hasText: "user" })).toContainText("What is the moon made of?");

  // Fork to the playground: the turn's message and context, v1 against the draft.
  await reply.getByRole("link", { name: "Fork to playground" }).click();
  await expect(op).toHaveURL(new RegExp(`/dashboard/personas/${id}/playground\\?fork=\\d+$`));
  const fork = op.getByRole("region", { name: "Forked turn" });
  await expect(fork.getByTestId("fork-message")).toHaveText("What is the moon made of?");
  await expect(fork.getByTestId("fork-reply")).toHaveText(/to: What is the moon made of\? — prod$/);
  await expect(op.getByLabel("Version", { exact: true })).toHaveValue("1");
  await expect(op.getByLabel("Compare with")).toHaveValue("2");
  await expect(op.getByLabel("Test message")).toHaveValue("What is the moon made of?");
  await expect(op.getByRole("button", { name: "Run" })).toBeEnabled();
  await op.getByRole("button", { name: "Run" }).click();

  const production = op.getByRole("region", { name: "Version 1" });
  const draft = op.getByRole("region", { name: "Version 2" });
  await expect(production.getByTestId("playground-reply")).toHaveText(/^Reply \d+ to: What is the moon made of\? — prod$/);
  await expect(draft.getByTestId("playground-reply")).toHaveText(/^Reply \d+ to: What is the moon made of\? — draft$/);
  // Side by side: the two columns share a row.
  const [a, b] = [await production.boundingBox(), await draft.boundingBox()];
  expect(a && b && Math.abs(a.y - b.y) < 5 && a.x < b.x).toBeTruthy();
  await op.screenshot({ path: test.info().outputPath("fork-playground-1280.png"), fullPage: true });

  // The conversation is unchanged: still one reply.
  await op.goto(`/dashboard/monitor/${uid}`);
  await hydrated(op);
  await expect(op.locator("li[data-sender=assistant]")).toHaveCount(1);
});
