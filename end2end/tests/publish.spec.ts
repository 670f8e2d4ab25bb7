import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// A persona created in the dashboard is a draft until the operator publishes it.

test("a persona made in the dashboard is a draft that chat offers only once it is published", async ({ page, browser }) => {
  await login(page);
  const name = unique("Drafty");
  const template = "You are Drafty, not live yet.";
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await page.getByRole("link", { name: "New persona" }).click();
  await hydrated(page);
  await expect(page.getByText("A new persona is a draft")).toBeVisible();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Template (Jinja)").fill(template);
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page).toHaveURL(/\/dashboard\/personas\/\d+$/);
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await expect(page.getByTestId("draft")).toHaveText("Draft");
  await expect(page.getByTestId("production-version")).toHaveCount(0);
  await expect(page.getByTestId("draft-notice")).toContainText("End users cannot choose it in chat");
  await expect(page.getByTestId("labels-v1")).toHaveText("");
  const editorUrl = page.url();

  // The list marks it as a draft.
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row.getByTestId("draft")).toHaveText("Draft");

  // An end user does not get it in the picker.
  const chatCtx = await browser.newContext();
  const chat = await chatCtx.newPage();
  await chat.goto("/chat");
  await hydrated(chat);
  const picker = chat.getByLabel("Persona");
  await expect(picker.locator("option").first()).toBeAttached();
  await expect(picker.locator("option").filter({ hasText: name })).toHaveCount(0);

  // Publishing asks first, showing what goes live; cancelling publishes nothing.
  await page.goto(editorUrl);
  await hydrated(page);
  await page.getByTestId("draft-notice").getByRole("button", { name: "Publish v1" }).click();
  const dialog = page.getByRole("dialog", { name: "Publish v1?" });
  await expect(dialog).toContainText(`End users can choose “${name}” in chat`);
  await expect(dialog.getByTestId("goes-live")).toHaveText(template);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("draft")).toHaveText("Draft");

  await page.getByTestId("draft-notice").getByRole("button", { name: "Publish v1" }).click();
  await dialog.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  await expect(page.getByTestId("draft")).toHaveCount(0);
  await expect(page.getByTestId("draft-notice")).toHaveCount(0);
  await expect(page.getByTestId("labels-v1")).toHaveText("production");
  await expect(page.getByTestId("label-moves")).toContainText("created at v1");

  // Now chat offers it and it answers.
  await chat.reload();
  await hydrated(chat);
  await picker.selectOption({ label: name });
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Say hello to ${name}.`)).toBeVisible();
  const box = chat.getByRole("textbox", { name: "Message", exact: true });
  await box.fill("Are you live?");
  await box.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Are you live\?$/)).toBeVisible();
  await chatCtx.close();

  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await expect(row).toContainText("v1 in production");
  await expect(row.getByTestId("draft")).toHaveCount(0);
});

test("a draft with several versions publishes the one chosen in its history", async ({ page }) => {
  await login(page);
  await page.goto("/dashboard/personas/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(unique("Twostep"));
  await page.getByLabel("Template (Jinja)").fill("You are Twostep, first.");
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await page.getByLabel("Template (Jinja)").fill("You are Twostep, second.");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  await expect(page.getByText("the persona stays a draft until you publish one")).toBeVisible();

  await page.getByRole("row", { name: /^v1 / }).getByRole("button", { name: "Publish v1" }).click();
  const dialog = page.getByRole("dialog", { name: "Publish v1?" });
  await expect(dialog.getByTestId("goes-live")).toHaveText("You are Twostep, first.");
  await dialog.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  // Once published, other versions are promoted as before.
  await expect(page.getByRole("row", { name: /^v2 / }).getByRole("button", { name: "Promote to production" })).toBeVisible();
});

test("personas created through the REST API start published", async ({ page }) => {
  await login(page);
  const name = unique("Restful");
  const res = await page.request.post("/admin/templates", { data: { name, content: "You are Restful." } });
  expect(res.status()).toBe(201);
  await page.goto("/dashboard/personas");
  await hydrated(page);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row).toContainText("v1 in production");
  await expect(row.getByTestId("draft")).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a draft publishes from its editor", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(process.env.E2E_EMAIL!);
    await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.goto("/dashboard/personas/new");
    await page.getByLabel("Name").fill(unique("Plainly"));
    await page.getByLabel("Template (Jinja)").fill("You are Plainly.");
    await page.getByRole("button", { name: "Create persona" }).click();
    await expect(page.getByTestId("draft")).toHaveText("Draft");
    await page.getByTestId("draft-notice").getByRole("button", { name: "Publish v1" }).click();
    await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  });
});
