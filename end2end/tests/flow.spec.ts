import { expect, test } from "@playwright/test";
import { hydrated, login, publish, unique } from "./helpers";

test("an operator builds a persona, a user chats, the operator watches live, halts and resumes", async ({ browser }) => {
  // --- The operator writes a persona: version 1, an edit (version 2), a rollback (version 3).
  // A fresh name per run: the database is shared by the whole run (and by --repeat-each).
  const luna = unique("Luna");
  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  await login(op);
  await op.getByRole("link", { name: "Personas", exact: true }).click();
  await op.getByRole("link", { name: "New persona" }).click();
  await hydrated(op);
  await op.getByLabel("Name").fill(luna);
  await op.getByLabel("Template (Jinja)").fill("You are Luna, a calm night-sky guide talking with {{ user_id }}.");
  await op.getByLabel("Note").fill("first draft");
  await op.getByRole("button", { name: "Create persona" }).click();
  await expect(op).toHaveURL(/\/dashboard\/personas\/\d+$/);
  await expect(op.getByTestId("latest-version")).toHaveText("version 1");
  // A persona made in the dashboard is a draft: chat offers it once it is published.
  await publish(op);

  await op.getByLabel("Template (Jinja)").fill("You are Luna, a cheerful guide to the stars, talking with {{ user_id }}.");
  await op.getByLabel("Note").fill("more cheerful");
  await op.getByRole("button", { name: "Save new version" }).click();
  await expect(op.getByRole("status")).toHaveText("Saved as version 2.");
  await expect(op.getByTestId("latest-version")).toHaveText("version 2");

  await op.getByRole("button", { name: "Roll back to v1" }).click();
  await op.getByRole("button", { name: "Restore" }).click();
  await expect(op.getByTestId("latest-version")).toHaveText("version 3");
  await expect(op.getByRole("row", { name: /^v3 / })).toContainText("Rollback to version 1");
  await expect(op.getByLabel("Template (Jinja)")).toHaveValue("You are Luna, a calm night-sky guide talking with {{ user_id }}.");

  // --- The operator opens the monitor before this user has chatted (other tests' users
  // may be listed: the database is shared by the whole run).
  await op.getByRole("link", { name: "Monitor" }).click();
  await expect(op.getByRole("heading", { name: "Monitor" })).toBeVisible();
  await hydrated(op);
  const usersBefore = await op.getByRole("row").getByRole("link").count();

  // --- An end user, in another browser context, chats with Luna.
  const userCtx = await browser.newContext();
  const chat = await userCtx.newPage();
  await chat.goto("/chat");
  await hydrated(chat);
  await chat.getByLabel("Persona").selectOption({ label: luna });
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Say hello to ${luna}.`)).toBeVisible();
  await chat.getByRole("textbox", { name: "Message", exact: true }).fill("Hello Luna");
  await chat.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/Reply \d+ to: Hello Luna/)).toBeVisible();
  await expect(chat.getByRole("textbox", { name: "Message", exact: true })).toHaveValue("");

  // --- The operator's monitor shows the new conversation without a reload, newest first.
  const userLinks = op.getByRole("row").getByRole("link");
  await expect(userLinks).toHaveCount(usersBefore + 1);
  await userLinks.first().click();
  await expect(op.getByText("Hello Luna", { exact: true })).toBeVisible();
  await expect(op.getByTestId("user-status")).toHaveText("active");

  // A new message appears in the open conversation, live, while the operator is already
  // writing a reason for halting: the live update does not wipe what they typed.
  await op.getByLabel("Reason for halting").fill("Checking the conversation");
  await chat.getByRole("textbox", { name: "Message", exact: true }).fill("Tell me about Orion");
  await chat.getByRole("button", { name: "Send" }).click();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/Reply \d+ to: Tell me about Orion/)).toBeVisible();
  await expect(op.getByText("Tell me about Orion", { exact: true })).toBeVisible();
  await expect(op.getByText(/Reply \d+ to: Tell me about Orion/)).toBeVisible();
  await expect(op.getByLabel("Reason for halting")).toHaveValue("Checking the conversation");

  // --- The operator halts: the user sees the pause, no LLM reply comes.
  await op.getByRole("button", { name: "Halt conversation" }).click();
  await expect(op.getByTestId("user-status")).toHaveText("halted");
  await expect(chat.getByTestId("paused-banner")).toContainText("Conversation paused");

  await chat.getByRole("textbox", { name: "Message", exact: true }).fill("Are you still there?");
  await chat.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Are you still there?", { exact: true })).toBeVisible();
  await expect(chat.getByTestId("paused-banner")).toContainText("Conversation paused");
  await expect(op.getByText("Are you still there?", { exact: true })).toBeVisible();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/Reply \d+ to: Are you still there\?/)).toHaveCount(0);

  // --- The operator injects a message and resumes; the user gets replies again. The user
  // is half-way through typing when it arrives: the text and the focus stay where they were.
  const composer = chat.getByRole("textbox", { name: "Message", exact: true });
  await composer.click();
  await chat.keyboard.type("I was about to");
  await op.getByLabel("Message as operator").fill("Hi, this is the PromptDev team.");
  await op.getByRole("button", { name: "Send as operator" }).click();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Hi, this is the PromptDev team.")).toBeVisible();
  await expect(op.getByLabel("Message as operator")).toHaveValue("");
  await expect(composer).toBeFocused();
  await chat.keyboard.type(" say");
  await expect(composer).toHaveValue("I was about to say");

  await op.getByRole("button", { name: "Resume conversation" }).click();
  await expect(op.getByTestId("user-status")).toHaveText("active");
  await expect(chat.getByTestId("paused-banner")).toHaveCount(0);
  await chat.getByRole("textbox", { name: "Message", exact: true }).fill("Back again");
  await chat.getByRole("textbox", { name: "Message", exact: true }).press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/Reply \d+ to: Back again/)).toBeVisible();

  // --- The history is there after a reload.
  await chat.reload();
  await hydrated(chat);
  await chat.getByLabel("Persona").selectOption({ label: luna });
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Hello Luna", { exact: true })).toBeVisible();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/Reply \d+ to: Back again/)).toBeVisible();
});

test("the chat keeps the newest message in view, but not while the user reads back", async ({ browser }) => {
  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  await login(op);
  const name = unique("Scroller");
  const created = await op.request.post("/admin/templates", { data: { name, content: "You are Scroller.", created_by: "e2e" } });
  expect(created.status()).toBe(201);

  // A short window: a few turns fill it.
  const ctx = await browser.newContext({ viewport: { width: 800, height: 480 } });
  const chat = await ctx.newPage();
  await chat.goto("/chat");
  await hydrated(chat);
  await chat.getByLabel("Persona").selectOption({ label: name });
  const box = chat.getByRole("textbox", { name: "Message", exact: true });
  for (let i = 1; i <= 6; i++) {
    await box.fill(`Message number ${i}`);
    await box.press("Enter");
    await expect(chat.getByRole("list", { name: "Messages" }).getByText(new RegExp(`^Reply \\d+ to: Message number ${i}$`))).toBeInViewport();
  }
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Message number 1", { exact: true })).not.toBeInViewport();

  // Scrolled back to the start: a message arriving from the team does not pull the page down.
  await chat.evaluate(() => window.scrollTo(0, 0));
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Message number 1", { exact: true })).toBeInViewport();
  const uid = (await ctx.cookies()).find((c) => c.name === "pd_uid")!.value;
  const injected = await op.request.post(`/admin/interventions/${uid}/inject`, { data: { message: "A note from the team" } });
  expect(injected.status()).toBeLessThan(300);
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("A note from the team")).toBeAttached();
  await expect(chat.getByRole("list", { name: "Messages" }).getByText("Message number 1", { exact: true })).toBeInViewport();

  // Sending brings the newest back into view.
  await box.fill("And one more");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: And one more$/)).toBeInViewport();
});

test("switching persona while the last chat is still reloading leaves the page working", async ({ browser }) => {
  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  await login(op);
  const [first, second] = [unique("Quick"), unique("Slow")];
  for (const name of [first, second]) {
    const res = await op.request.post("/admin/templates", { data: { name, content: `You are ${name}.`, created_by: "e2e" } });
    expect(res.status()).toBe(201);
  }
  const ctx = await browser.newContext();
  const chat = await ctx.newPage();
  const errors: string[] = [];
  chat.on("pageerror", (e) => errors.push(e.message));
  await chat.goto("/chat");
  await hydrated(chat);
  await chat.getByLabel("Persona").selectOption({ label: first });
  const box = chat.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("One");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: One$/)).toBeVisible();

  // The reloads after the next send are slow: they come back after the user has picked
  // another persona (whose history loads at once) and the first chat's view is gone.
  let slow = true;
  await chat.route("**/api/chat/load_chat**", async (route) => {
    if (slow) await new Promise((r) => setTimeout(r, 2500));
    await route.continue().catch(() => {});
  });
  await box.fill("Two");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Two$/)).toBeVisible();
  slow = false;
  await chat.getByLabel("Persona").selectOption({ label: second });
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Say hello to ${second}.`)).toBeVisible();
  await chat.waitForTimeout(3000); // the first chat's reloads come back meanwhile
  await chat.unroute("**/api/chat/load_chat**");
  expect(errors).toEqual([]);
  await box.fill("Three");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Three$/)).toBeVisible();
});

test("a template syntax error is shown next to the editor with its line", async ({ page }) => {
  await login(page);
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await page.getByRole("link", { name: "New persona" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill("Broken");
  await page.getByLabel("Template (Jinja)").fill("Line one\n{% if user_id %}\nnever closed");
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page.getByTestId("template-error")).toContainText("Line");
  await expect(page).toHaveURL(/\/personas\/new$/);
  // What the operator typed is still there.
  await expect(page.getByLabel("Name")).toHaveValue("Broken");
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(process.env.E2E_EMAIL!);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("wrong email or password");
  await expect(page).toHaveURL(/\/login$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the dashboard redirects to the login page and the login form works", async ({ page }) => {
    await page.goto("/dashboard");
    await expect(page).toHaveURL(/\/login$/);
    await page.getByLabel("Email").fill(process.env.E2E_EMAIL!);
    await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
    await page.goto("/dashboard/personas");
    await expect(page.getByRole("link", { name: "Ava" })).toBeVisible();
  });
});
