import { expect, test, type Page } from "@playwright/test";
import { hydrated, login, publish, unique } from "./helpers";

/** Creates a persona through the REST API with the page's operator session; returns its id. */
async function createPersona(page: Page, name: string, content: string): Promise<number> {
  const res = await page.request.post("/admin/templates", { data: { name, content, created_by: "e2e" } });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

/** What the monitor's list shows (users, message counts, last message times). */
async function monitorText(page: Page) {
  await page.goto("/dashboard/monitor");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeVisible();
  return page.locator("main.content").innerText();
}

test("the playground runs two versions side by side and writes no conversation", async ({ page }) => {
  await login(page);
  const name = unique("Vega");
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await page.getByRole("link", { name: "New persona" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Template (Jinja)").fill("You are Vega, version one.");
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page).toHaveURL(/\/dashboard\/personas\/\d+$/);
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await publish(page);
  await page.getByLabel("Template (Jinja)").fill("You are Vega, version two.");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  const id = page.url().match(/\/personas\/(\d+)$/)![1];

  const before = await monitorText(page);

  await page.goto(`/dashboard/personas/${id}/playground`);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: `Playground: ${name}` })).toBeVisible();
  // The form is read on submit, so this also holds for input typed before hydration finished.
  await expect(page.getByRole("button", { name: "Run" })).toBeEnabled();
  await expect(page.getByTestId("playground-note")).toContainText("Nothing is written to any conversation");
  // Version 1 is what production points to, so it is chosen already; no comparison by default.
  await expect(page.getByLabel("Version", { exact: true })).toHaveValue("1");
  await expect(page.getByLabel("Compare with")).toHaveValue("");
  await page.getByLabel("Compare with").selectOption({ label: "v2" });
  await page.getByLabel("Test message").fill("How are the stars tonight?");
  await page.getByRole("button", { name: "Run" }).click();

  const v1 = page.getByRole("region", { name: "Version 1" });
  const v2 = page.getByRole("region", { name: "Version 2" });
  await expect(v1.getByTestId("playground-reply")).toHaveText(/^Reply \d+ to: How are the stars tonight\?$/);
  await expect(v2.getByTestId("playground-reply")).toHaveText(/^Reply \d+ to: How are the stars tonight\?$/);
  for (const col of [v1, v2]) {
    await expect(col.getByRole("heading")).toHaveText(/^Version \d$/);
    await expect(col.getByRole("definition").filter({ hasText: /^10$/ })).toBeVisible(); // prompt tokens
    await expect(col.getByRole("definition").filter({ hasText: /^5$/ })).toBeVisible(); // completion tokens
    await expect(col).toContainText(" ms");
    await expect(col).toContainText("fake-e2e");
  }
  // The exact messages sent: each column rendered its own version.
  await v1.getByText("Messages sent").click();
  await expect(v1.getByRole("listitem").filter({ hasText: "system" })).toContainText("You are Vega, version one.");
  await v2.getByText("Messages sent").click();
  await expect(v2.getByRole("listitem").filter({ hasText: "system" })).toContainText("You are Vega, version two.");
  await expect(v2.getByRole("listitem").filter({ hasText: "user" })).toContainText("How are the stars tonight?");

  // No conversation was written: the monitor shows exactly what it showed before.
  expect(await monitorText(page)).toBe(before);
});

test("a deleted persona waits in the trash and can be restored", async ({ page }) => {
  await login(page);
  const name = unique("Nova");
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await page.getByRole("link", { name: "New persona" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Template (Jinja)").fill("You are Nova.");
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  const id = page.url().match(/\/personas\/(\d+)$/)![1];
  await page.getByLabel(`Type the persona's name (${name}) to confirm`).fill(name);
  await page.getByRole("button", { name: "Delete persona" }).click();
  await expect(page).toHaveURL(/\/dashboard\/personas\?deleted=/);
  await expect(page.getByRole("link", { name, exact: true })).toHaveCount(0);

  await page.getByRole("link", { name: "Trash", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Trash" })).toBeVisible();
  await hydrated(page);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(process.env.E2E_EMAIL!);
  await expect(row).toContainText("UTC");

  await row.getByRole("button", { name: "Restore" }).click();
  await expect(page.getByRole("status")).toContainText(`Restored “${name}”.`);
  await expect(row).toHaveCount(0);
  await page.getByRole("link", { name: `Open ${name}` }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/personas/${id}$`));
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
});

test("restoring a persona whose name was taken meanwhile explains the conflict", async ({ page }) => {
  await login(page);
  const name = unique("Orion");
  const id = await createPersona(page, name, "You are Orion.");
  expect((await page.request.delete(`/admin/templates/${id}`, { data: { confirm_name: name } })).status()).toBe(204);
  await createPersona(page, name, "You are the new Orion.");

  await page.goto("/dashboard/trash");
  await hydrated(page);
  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByRole("button", { name: "Restore" }).click();
  await expect(row.getByRole("alert")).toContainText("Rename or delete the persona that has this name now");
  await expect(row).toBeVisible();
});

test("an exported persona imports under another name with all its versions", async ({ page }) => {
  await login(page);
  const name = unique("Lyra");
  const id = await createPersona(page, name, "You are Lyra.");
  const v2 = await page.request.post(`/admin/templates/${id}/versions`, { data: { content: "You are Lyra, v2.", note: "" } });
  expect(v2.status()).toBe(201);
  const exported = await page.request.get(`/admin/templates/${id}/export`);
  expect(exported.ok()).toBeTruthy();
  const json = await exported.text();

  await page.goto("/dashboard/personas/import");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Import a persona" })).toBeVisible();
  // The file picker fills the JSON box.
  await page.getByLabel("Export file (.json)").setInputFiles({ name: "lyra.persona.json", mimeType: "application/json", buffer: Buffer.from(json) });
  await expect(page.getByLabel("Export JSON")).toHaveValue(json);
  await expect(page.getByTestId("import-summary")).toHaveText(`“${name}”: 2 versions`);
  await page.getByRole("button", { name: "Import", exact: true }).click();

  // The name exists: the operator chooses.
  const choice = page.getByTestId("import-conflict");
  await expect(choice).toBeVisible();
  await expect(choice.getByRole("button", { name: "Add as a new version of the existing persona" })).toBeVisible();
  const copy = unique("Lyra copy");
  await choice.getByLabel("New name").fill(copy);
  await choice.getByRole("button", { name: "Import under another name" }).click();
  await expect(page.getByTestId("import-result")).toContainText(`Imported “${copy}”: 2 versions created.`);

  await page.getByRole("link", { name: `Open ${copy}` }).click();
  await expect(page.getByRole("heading", { name: copy, exact: true })).toBeVisible();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");
  // An import keeps the export's labels: it starts published.
  await expect(page.getByTestId("production-version")).toHaveText("v1 in production");
  await expect(page.getByRole("row", { name: /^v1 / })).toBeVisible();
  await expect(page.getByRole("row", { name: /^v2 / })).toBeVisible();
});

test("an import can add the export's production version to the persona of the same name", async ({ page }) => {
  await login(page);
  const name = unique("Carina");
  const id = await createPersona(page, name, "You are Carina.");
  await page.request.post(`/admin/templates/${id}/versions`, { data: { content: "You are Carina, v2.", note: "" } });
  const json = await (await page.request.get(`/admin/templates/${id}/export`)).text();

  await page.goto("/dashboard/personas/import");
  await hydrated(page);
  await page.getByLabel("Export JSON").fill(json);
  await page.getByRole("button", { name: "Import", exact: true }).click();
  // Production is still v1, whose content differs from the latest (v2): it becomes v3.
  await page.getByRole("button", { name: "Add as a new version of the existing persona" }).click();
  await expect(page.getByTestId("import-result")).toContainText(`Added as version 3 of “${name}”.`);
  await expect(page.getByTestId("import-conflict")).toHaveCount(0);
});

test("pasted JSON that is not an export is refused next to the box", async ({ page }) => {
  await login(page);
  await page.goto("/dashboard/personas/import");
  await hydrated(page);
  await page.getByLabel("Export JSON").fill('{"hello": "world"}');
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByTestId("import-conflict")).toHaveCount(0);
});

test("a chat on a persona deactivated meanwhile turns read-only with a notice", async ({ page }) => {
  await login(page);
  const name = unique("Altair");
  const id = await createPersona(page, name, "You are Altair.");

  await page.goto(`/chat?persona=${id}`);
  await hydrated(page);
  await expect(page.getByRole("button", { name: "Send" })).toBeEnabled();
  const input = page.getByRole("textbox", { name: "Message", exact: true });
  await input.fill("Hello Altair");
  await input.press("Enter");
  await expect(page.getByRole("list", { name: "Messages" }).getByText(/Reply \d+ to: Hello Altair/)).toBeVisible();
  await expect(page.getByTestId("unavailable-banner")).toHaveCount(0);

  await input.fill("Are you there?");
  expect((await page.request.post(`/admin/templates/${id}/deactivate`)).ok()).toBeTruthy();

  // The open chat hears it live: the notice appears, the draft is kept, the history stays.
  await expect(page.getByTestId("unavailable-banner")).toHaveText(
    "This persona is not available any more. Your conversation is kept; choose another persona to keep chatting.",
  );
  await expect(input).toBeDisabled();
  await expect(input).toHaveValue("Are you there?");
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  await expect(page.getByRole("list", { name: "Messages" }).getByText("Hello Altair", { exact: true })).toBeVisible();

  // Opened afresh, the chat shows the same notice with the history.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("unavailable-banner")).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Message", exact: true })).toBeDisabled();
  await expect(page.getByRole("list", { name: "Messages" }).getByText("Hello Altair", { exact: true })).toBeVisible();
});

test("a persona another workspace shares is cloned from the library", async ({ page, browser }) => {
  // The second operator (another workspace, see start-server.sh) shares a persona.
  const sharerCtx = await browser.newContext();
  const sharer = sharerCtx.request;
  const login2 = await sharer.post("/admin/login", { data: { username: "sharer@e2e.test", password: process.env.E2E_PASSWORD } });
  expect(login2.ok()).toBeTruthy();
  const shared = unique("Sirius");
  const created = await sharer.post("/admin/templates", { data: { name: shared, content: "You are Sirius, the bright one.", created_by: "e2e" } });
  expect(created.status()).toBe(201);
  const sharedId = (await created.json()).id;
  expect((await sharer.post(`/admin/templates/${sharedId}/share`)).ok()).toBeTruthy();
  await sharerCtx.close();

  await login(page);
  // This workspace already has a persona with that name: the clone must be renamed.
  await createPersona(page, shared, "You are our own Sirius.");
  await page.getByRole("link", { name: "Library", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Library" })).toBeVisible();
  await hydrated(page);
  const row = page.getByTestId("shared-persona").filter({ hasText: shared });
  await expect(row).toContainText("v1");
  await row.getByText("Show template").click();
  await expect(row).toContainText("You are Sirius, the bright one.");

  await row.getByRole("button", { name: "Clone", exact: true }).click();
  const nameInput = row.getByLabel("Name in your workspace");
  await expect(nameInput).toHaveValue(shared);
  await expect(nameInput).toBeFocused();
  await row.getByRole("button", { name: "Clone into my workspace" }).click();
  await expect(row.getByRole("alert")).toContainText(shared);

  const copy = unique("Sirius copy");
  await nameInput.fill(copy);
  await row.getByRole("button", { name: "Clone into my workspace" }).click();
  await expect(page).toHaveURL(/\/dashboard\/personas\/\d+$/);
  await expect(page.getByRole("heading", { name: copy, exact: true })).toBeVisible();
  await expect(page.getByLabel("Template (Jinja)")).toHaveValue("You are Sirius, the bright one.");
  // A clone starts as a draft: chat offers it once the operator publishes it.
  await expect(page.getByTestId("draft")).toHaveText("Draft");
  await expect(page.getByTestId("draft-notice")).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the trash restores a persona", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(process.env.E2E_EMAIL!);
    await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
    const name = unique("Deneb");
    const id = await createPersona(page, name, "You are Deneb.");
    expect((await page.request.delete(`/admin/templates/${id}`, { data: { confirm_name: name } })).status()).toBe(204);

    await page.goto("/dashboard/trash");
    const row = page.getByRole("row").filter({ hasText: name });
    await row.getByRole("button", { name: "Restore" }).click();
    await expect(page).toHaveURL(/\/dashboard\/trash\??$/);
    await expect(row).toHaveCount(0);
    await page.goto("/dashboard/personas");
    await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  });
});
