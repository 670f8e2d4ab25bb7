import { expect, test, type Page } from "@playwright/test";
import { hydrated, login, publish, unique } from "./helpers";

/** Creates a persona from the dashboard and waits for its editor. */
async function createPersona(page: Page, name: string, template: string) {
  await page.goto("/dashboard/personas/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Template (Jinja)").fill(template);
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page).toHaveURL(/\/dashboard\/personas\/\d+$/);
  await expect(page.getByRole("heading", { name, exact: true })).toBeVisible();
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
}

const versionRow = (page: Page, n: number) => page.getByRole("row", { name: new RegExp(`^v${n} `) });

test("an edit is promoted after a confirmation that shows the diff, and chat then answers with it", async ({ page, browser }) => {
  await login(page);
  const name = unique("Signer");
  await createPersona(page, name, "You are Signer, talking with {{ user_id }}.\nSIGN:one");
  await publish(page);
  await expect(page.getByTestId("labels-v1")).toHaveText("production");

  await page.getByLabel("Template (Jinja)").fill("You are Signer, talking with {{ user_id }}.\nSIGN:two");
  await page.getByLabel("Note").fill("sign two");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved as version 2.");
  // Saving does not move production.
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  await expect(page.getByTestId("labels-v2")).toHaveText("");

  // The compare page shows the change with the changed word highlighted.
  await versionRow(page, 2).getByRole("link", { name: "Compare with v1" }).click();
  const unified = page.getByRole("table", { name: "Unified diff" });
  await expect(unified.locator("tr.removed")).toContainText("SIGN:one");
  await expect(unified.locator("tr.added mark")).toContainText("two");
  await page.getByRole("link", { name: `← ${name}` }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");

  // An end user chats: production is still version 1.
  const chatCtx = await browser.newContext();
  const chat = await chatCtx.newPage();
  await chat.goto("/chat");
  await hydrated(chat);
  await chat.getByLabel("Persona").selectOption({ label: name });
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(`Say hello to ${name}.`)).toBeVisible();
  const message = chat.getByRole("textbox", { name: "Message", exact: true });
  await message.fill("First question");
  await message.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: First question — one$/)).toBeVisible();

  // Promote v2: the confirmation shows what changes; cancelling moves nothing.
  await versionRow(page, 2).getByRole("button", { name: "Promote to production" }).click();
  const dialog = page.getByRole("dialog", { name: "Promote v2 to production?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.locator("tr.removed")).toContainText("SIGN:one");
  await expect(dialog.locator("tr.added mark")).toContainText("two");
  await expect(dialog.getByTestId("dialog-diff-counts")).toHaveText("+1 −1");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");

  await versionRow(page, 2).getByRole("button", { name: "Promote to production" }).click();
  await dialog.getByRole("button", { name: "Promote", exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("production-version")).toHaveText("v2 in production");
  await expect(page.getByTestId("labels-v2")).toHaveText("production");
  await expect(page.getByTestId("labels-v1")).toHaveText("");
  await expect(page.getByTestId("label-moves")).toContainText("v1 → v2");
  await expect(versionRow(page, 2).getByRole("button", { name: "Promote to production" })).toHaveCount(0);

  // The next message is answered by version 2.
  await message.fill("Second question");
  await message.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Second question — two$/)).toBeVisible();

  // Moving production back is a label move too, with the same confirmation.
  await versionRow(page, 1).getByRole("button", { name: "Roll back to v1" }).click();
  await versionRow(page, 1).getByRole("button", { name: "Move production back to v1" }).click();
  await page.getByRole("dialog", { name: "Promote v1 to production?" }).getByRole("button", { name: "Promote", exact: true }).click();
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  await message.fill("Third question");
  await message.press("Enter");
  await expect(chat.getByRole("list", { name: "Messages" }).getByText(/^Reply \d+ to: Third question — one$/)).toBeVisible();
  await chatCtx.close();
});

test("the live preview follows the typing, shows render errors with their line, and saves nothing", async ({ page }) => {
  await login(page);
  const original = "You are Previewer.\nTalk with {{ user_id }}.";
  await createPersona(page, unique("Previewer"), original);
  const preview = page.getByTestId("preview-messages");
  const error = page.getByTestId("preview-error");
  const template = page.getByLabel("Template (Jinja)");

  await expect(preview.locator("li[data-role=system] pre")).toContainText("You are Previewer.");
  await expect(preview.locator("li[data-role=user] pre")).toHaveText("Hi! How are you?");

  await template.fill("You are Previewer.\nMood: {{ 1 + }}");
  await expect(error).toContainText("Line 2");
  await template.fill("You are Previewer.\n\nMood: {{ not_declared }}");
  await expect(error).toContainText("Line 3");

  await template.fill("You are Previewer, now edited.\nYou remember: {{ memory.name }}.");
  await page.getByLabel("Memory (JSON object)").fill('{"name": "Sam"}');
  await page.getByLabel("Sample message").fill("What's new?");
  await expect(error).toHaveCount(0);
  await expect(preview.locator("li[data-role=system] pre")).toHaveText("You are Previewer, now edited.\nYou remember: Sam.");
  await expect(preview.locator("li[data-role=user] pre")).toHaveText("What's new?");

  await page.getByLabel("Memory (JSON object)").fill("{not json");
  await expect(error).toBeVisible();

  // Nothing was saved.
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await expect(page.getByLabel("Template (Jinja)")).toHaveValue(original);
});

test("settings are checked next to the form, and a declared variable reaches the preview and chat's known list", async ({ page }) => {
  await login(page);
  await createPersona(page, unique("Settler"), "You are Settler.");
  const temperature = page.getByLabel("Temperature");
  await expect(temperature).toHaveValue("0.7");

  await temperature.fill("5");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("temperature-error")).toContainText("temperature");
  await expect(page.getByTestId("temperature-error")).toHaveAttribute("role", "alert");
  await expect(temperature).toHaveValue("5");
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");

  await temperature.fill("0.2");
  await page.getByLabel("Stop sequences (one per line)").fill("User:");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved as version 2.");
  await expect(page.getByTestId("temperature-error")).toHaveCount(0);
  await expect(temperature).toHaveValue("0.2");
  await expect(page.getByLabel("Stop sequences (one per line)")).toHaveValue("User:");

  // An undeclared variable fails in the preview; declaring it with a default fixes it.
  await page.getByLabel("Template (Jinja)").fill("You are Settler, feeling {{ mood }} today.");
  await expect(page.getByTestId("preview-error")).toContainText("Line 1");
  await page.getByRole("button", { name: "Add variable" }).click();
  await page.getByLabel("Name of variable 1").fill("mood");
  await page.getByLabel("Default of variable 1").fill("cheerful");
  await page.getByLabel("Description of variable 1").fill("How Settler feels");
  const system = page.getByTestId("preview-messages").locator("li[data-role=system]");
  await expect(system).toContainText("feeling cheerful today");
  // A sample value overrides the default in the preview only.
  await page.getByLabel("mood", { exact: true }).fill("grumpy");
  await expect(system).toContainText("feeling grumpy today");

  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved as version 3.");
  await expect(page.getByTestId("used-variables")).toHaveText("mood");
  await expect(page.getByLabel("Name of variable 1")).toHaveValue("mood");
  await expect(page.getByLabel("Default of variable 1")).toHaveValue("cheerful");
  await expect(temperature).toHaveValue("0.2");

  // A bad default is refused with the variable's name.
  await page.getByLabel("Type of variable 1").selectOption("number");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("variables-error")).toContainText("mood");
  await expect(page.getByTestId("latest-version")).toHaveText("version 3");
});

test("labels move with a confirmation, custom ones can be removed; share, deactivate and delete", async ({ page }) => {
  await login(page);
  const name = unique("Labeller");
  await createPersona(page, name, "You are Labeller.");
  await publish(page);
  await page.getByLabel("Template (Jinja)").fill("You are Labeller, v2.");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");

  // A new label, from the labels form.
  await page.getByLabel("Label", { exact: true }).fill("staging");
  await page.getByRole("combobox", { name: "Version", exact: true }).selectOption("2");
  await page.getByRole("button", { name: "Move label" }).click();
  const dialog = page.getByRole("dialog", { name: "Create label staging at v2?" });
  await expect(dialog.locator("tr.added")).toContainText("You are Labeller, v2.");
  await dialog.getByRole("button", { name: "Create label" }).click();
  await expect(page.getByTestId("labels-v2")).toHaveText("staging");
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  await expect(page.getByTestId("label-moves")).toContainText("created at v2");

  await page.getByRole("button", { name: "Remove staging" }).click();
  await page.getByRole("group", { name: "Remove label staging?" }).getByRole("button", { name: "Remove label" }).click();
  await expect(page.getByTestId("labels-v2")).toHaveText("");
  await expect(page.getByTestId("label-moves")).toContainText("removed (was v2)");

  // Share and deactivate.
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await expect(page.getByRole("button", { name: "Stop sharing" })).toBeVisible();
  await page.getByRole("button", { name: "Deactivate" }).click();
  await expect(page.getByTestId("inactive")).toHaveText("Inactive");
  await expect(page.getByRole("link", { name: "Export" })).toHaveAttribute("href", /\/admin\/templates\/\d+\/export$/);

  // Deleting needs the name typed first; the list then says how to get it back.
  const del = page.getByRole("button", { name: "Delete persona" });
  await expect(del).toBeDisabled();
  const confirm = page.getByLabel(`Type the persona's name (${name}) to confirm`);
  await confirm.fill("Labeller");
  await expect(del).toBeDisabled();
  await confirm.fill(name);
  await del.click();
  await expect(page).toHaveURL(/\/dashboard\/personas\?deleted=Labeller%20/);
  await expect(page.getByTestId("deleted-notice")).toContainText("restore it from the Trash for 30 days");
  await expect(page.getByTestId("deleted-notice")).toContainText(`Deleted “${name}”.`);
  await expect(page.getByRole("link", { name, exact: true })).toHaveCount(0);
});

test("an AI draft fills the template and declares the variables it reads", async ({ page }) => {
  await login(page);
  await page.goto("/dashboard/personas/new");
  await hydrated(page);
  const name = unique("Gardener");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Kind").selectOption("text");
  await expect(page.getByText("Text: the template renders the whole prompt")).toBeVisible();
  // The fake LLM answers "Reply N to: <the request>", so the draft echoes the description.
  await page.getByLabel("Describe the persona").fill("A gentle gardener who feels {{ mood }}");
  await page.getByRole("button", { name: "Draft with AI" }).click();
  await expect(page.getByLabel("Template (Jinja)")).toHaveValue(/A gentle gardener who feels \{\{ mood \}\}$/);
  await expect(page.getByTestId("suggested-variables")).toContainText("mood");
  await page.getByRole("button", { name: "Create persona" }).click();

  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await expect(page.getByLabel("Name of variable 1")).toHaveValue("mood");
  await expect(page.getByTestId("used-variables")).toHaveText("mood");
  await expect(page.getByLabel("Kind")).toHaveValue("text");
  // A text persona sends the whole rendered prompt as one user message.
  await expect(page.getByTestId("preview-messages").locator("li")).toHaveCount(1);
  await expect(page.getByTestId("preview-messages").locator("li[data-role=user] pre")).toContainText("A gentle gardener who feels");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the editor saves a version with its settings", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(process.env.E2E_EMAIL!);
    await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);

    await page.goto("/dashboard/personas/new");
    await page.getByLabel("Name").fill(unique("Plain"));
    await page.getByLabel("Template (Jinja)").fill("You are Plain.");
    await page.getByRole("button", { name: "Create persona" }).click();
    await expect(page).toHaveURL(/\/dashboard\/personas\/\d+$/);
    await expect(page.getByTestId("latest-version")).toHaveText("version 1");
    // The server rendered the preview of the saved version.
    await expect(page.getByTestId("preview-messages")).toContainText("You are Plain.");
    // A draft: without JavaScript, Publish posts the label move at once.
    await page.getByTestId("draft-notice").getByRole("button", { name: "Publish v1" }).click();
    await expect(page.getByTestId("production-version")).toHaveText("v1 in production");

    await page.getByLabel("Template (Jinja)").fill("You are Plain, saved without JavaScript.");
    await page.getByLabel("Temperature").fill("0.4");
    await page.getByRole("button", { name: "Save new version" }).click();
    await expect(page.getByTestId("latest-version")).toHaveText("version 2");
    await expect(page.getByLabel("Temperature")).toHaveValue("0.4");
    await expect(page.getByLabel("Max tokens")).toHaveValue("160");
    await expect(page.getByLabel("Template (Jinja)")).toHaveValue("You are Plain, saved without JavaScript.");

    // Labels and sharing post as plain forms too (a label move then needs no confirmation).
    await page.getByLabel("Label", { exact: true }).fill("staging");
    await page.getByRole("combobox", { name: "Version", exact: true }).selectOption("1");
    await page.getByRole("button", { name: "Move label" }).click();
    await expect(page.getByTestId("labels-v1")).toHaveText("production staging");
    await page.getByRole("button", { name: "Share", exact: true }).click();
    await expect(page.getByRole("button", { name: "Stop sharing" })).toBeVisible();
  });
});

test("the editor and the diff page become interactive on every full load", async ({ page }) => {
  // Regression: a page resource that made two server calls in a row sometimes hydrated
  // with an error the server hit while rendering (the page stayed dead).
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await login(page);
  const name = `Reload ${Date.now()}`;
  const res = await page.request.post("/admin/templates", { data: { name, content: "You are Reload." } });
  const id = (await res.json()).id;
  await page.request.post(`/admin/templates/${id}/versions`, { data: { content: "You are Reload, v2." } });
  for (let i = 0; i < 4; i++) {
    for (const path of [`/dashboard/personas/${id}`, `/dashboard/personas/${id}/diff`]) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.getByRole("heading", { level: 1 })).toContainText(name);
    }
  }
  // Interactive: the side-by-side toggle of the diff page works.
  await page.getByRole("button", { name: "Show side by side" }).click();
  await expect(page.getByRole("table", { name: "Side-by-side diff" })).toBeVisible();
  expect(errors).toEqual([]);
});

test("an AI draft replaces the template of an existing persona and saves as a new version", async ({ page }) => {
  await login(page);
  const name = unique("Redraft");
  const res = await page.request.post("/admin/templates", { data: { name, content: "You are Redraft." } });
  const id = (await res.json()).id;
  await page.goto(`/dashboard/personas/${id}`);
  await hydrated(page);
  // The fake LLM answers "Reply N to: <the request>", so the draft echoes the description.
  await page.getByLabel("Describe the persona").fill("A night owl who loves {{ stars }}");
  await page.getByRole("button", { name: "Draft with AI" }).click();
  await expect(page.getByLabel("Template (Jinja)")).toHaveValue(/A night owl who loves \{\{ stars \}\}$/);
  await expect(page.getByLabel("Name of variable 1")).toHaveValue("stars");
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  await expect(page.getByTestId("used-variables")).toContainText("stars");
});

test("the preview keeps using the typed memory after a save", async ({ page }) => {
  await login(page);
  await createPersona(page, unique("Rememberer"), "You remember: {{ memory.name | default('nobody') }}.");
  const system = page.getByTestId("preview-messages").locator("li[data-role=system] pre");
  const memory = page.getByLabel("Memory (JSON object)");
  await expect(system).toHaveText("You remember: nobody.");
  await memory.fill('{"name":"Priya"}');
  await expect(system).toHaveText("You remember: Priya.");

  await page.getByLabel("Template (Jinja)").fill("You still remember: {{ memory.name | default('nobody') }}.");
  await expect(system).toHaveText("You still remember: Priya.");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved as version 2.");
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  // The page was rebuilt with the saved version; the sample the operator typed still counts.
  await expect(memory).toHaveValue('{"name":"Priya"}');
  await expect(system).toHaveText("You still remember: Priya.");
  await page.waitForTimeout(600); // past the preview's debounce: nothing flips back
  await expect(system).toHaveText("You still remember: Priya.");

  // Clearing the memory brings back the empty sample.
  await memory.fill("");
  await expect(system).toHaveText("You still remember: nobody.");
});

test("template errors name what is wrong and leave once the template is fixed", async ({ page }) => {
  await login(page);
  // On the new-persona page: a failed create's error goes when the template changes.
  await page.goto("/dashboard/personas/new");
  await hydrated(page);
  const name = unique("Fixer");
  await page.getByLabel("Name").fill(name);
  const template = page.getByLabel("Template (Jinja)");
  await template.fill("You are Fixer.\n{% if user_id %}never closed");
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page.getByTestId("template-error")).toContainText("Line");
  await template.fill("You are Fixer.");
  await expect(page.getByTestId("template-error")).toHaveCount(0);
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");

  // An undefined variable is named, with its line.
  const error = page.getByTestId("preview-error");
  await template.fill("You are Fixer.\nMood: {{ not_declared }}");
  await expect(error).toContainText("Line 2");
  await expect(error).toContainText("`not_declared` is undefined");
  await template.fill("You are Fixer.\nName: {{ memory.nickname.first }}");
  await expect(error).toContainText("memory.nickname");

  // A save error stays while it is true and goes once the template is fixed.
  await template.fill("You are Fixer.\n{% for x in %}");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("template-error")).toContainText("Line 2");
  await template.fill("You are Fixer, fixed.");
  await expect(page.getByTestId("template-error")).toHaveCount(0);
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved as version 2.");
  await expect(page.getByTestId("template-error")).toHaveCount(0);
});

test("a long persona name shows a counter near the limit and is refused, not cut, past it", async ({ page }) => {
  await login(page);
  await page.goto("/dashboard/personas/new");
  await hydrated(page);
  const name = page.getByLabel("Name");
  const counter = page.getByTestId("name-limit");
  const create = page.getByRole("button", { name: "Create persona" });
  await name.fill("Short");
  await expect(counter).toHaveCount(0);
  await name.fill("N".repeat(70));
  await expect(counter).toHaveText("70 / 80 characters");
  await expect(create).toBeEnabled();

  const tooLong = "N".repeat(85);
  await name.fill(tooLong);
  await expect(name).toHaveValue(tooLong);
  await expect(counter).toHaveText("The name is 85 characters long: at most 80 fit. Remove 5 to continue.");
  await expect(counter).toHaveAttribute("role", "alert");
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(create).toBeDisabled();

  await name.fill(unique("N".repeat(60)));
  await expect(counter).toContainText(" / 80 characters");
  await expect(create).toBeEnabled();
});

test("leaving the editor with unsaved edits asks first, on links and on closing the tab", async ({ page }) => {
  await login(page);
  await createPersona(page, unique("Keeper"), "You are Keeper.");
  const editor = page.url();
  const template = page.getByLabel("Template (Jinja)");
  const seen: string[] = [];
  let leave = false;
  page.on("dialog", async (d) => {
    seen.push(`${d.type()}: ${d.message()}`);
    if (leave) await d.accept();
    else await d.dismiss();
  });

  // Nothing edited: links leave without a question.
  await page.getByRole("link", { name: "Playground" }).click();
  await expect(page).toHaveURL(/\/playground$/);
  await page.goto(editor);
  await hydrated(page);
  expect(seen).toEqual([]);

  // An unsaved edit: a link asks, and staying keeps the edit.
  await template.fill("You are Keeper, edited.");
  await page.getByRole("link", { name: "Library", exact: true }).click();
  await expect.poll(() => seen.length).toBe(1);
  expect(seen[0]).toMatch(/^confirm: You have unsaved changes/);
  await expect(page).toHaveURL(editor);
  await expect(template).toHaveValue("You are Keeper, edited.");

  // Closing or reloading the tab asks too.
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => seen.length).toBe(2);
  expect(seen[1]).toMatch(/^beforeunload:/);
  expect(page.isClosed()).toBe(false);

  // Choosing to leave leaves.
  leave = true;
  await page.getByRole("link", { name: "Library", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard\/library$/);

  // Once saved, nothing is asked.
  await page.goto(editor);
  await hydrated(page);
  await template.fill("You are Keeper, saved.");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  const before = seen.length;
  await page.getByRole("link", { name: "Library", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard\/library$/);
  expect(seen.length).toBe(before);
});
