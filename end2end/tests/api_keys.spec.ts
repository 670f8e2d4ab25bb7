import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// Issue 11: an operator creates an API key, sees it once, a program uses it, and
// revoking it (confirmed first) stops it.

test("create an API key, see it once, use it, revoke it", async ({ page }) => {
  await login(page);
  await page.goto("/dashboard/api-keys");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();

  const name = unique("bot");
  // Every scope unchecked is refused next to the field.
  await page.getByLabel("Name").fill(name);
  await page.getByRole("checkbox", { name: /^chat/ }).uncheck();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.locator("#scopes-error")).toContainText("choose at least one scope");

  await page.getByRole("checkbox", { name: /^chat/ }).check();
  await page.getByRole("checkbox", { name: /^read/ }).check();
  await page.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByTestId("new-key");
  await expect(shown).toContainText("shown only this once");
  const secret = await page.getByTestId("new-key-secret").inputValue();
  expect(secret).toMatch(/^pd_[A-Za-z0-9]{32}$/);
  const row = page.getByTestId("key-row").filter({ hasText: name });
  await expect(row).toContainText(secret.slice(0, 9));
  await expect(row).toContainText("chat, read");
  await expect(row).toContainText("never");
  await expect(row).not.toContainText(secret);
  await page.screenshot({ path: test.info().outputPath("api-keys-1280.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath("api-keys-390.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // A program uses it (the key decides, not the browser session): the OpenAI-compatible model list answers.
  const models = await page.request.fetch("/v1/models", {
    headers: { Authorization: `Bearer ${secret}` },
  });
  expect(models.status()).toBe(200);

  // Reloaded, the secret is gone for good; the row shows it was used.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(secret);
  await expect(row).not.toContainText("never");

  // Revoking asks first; then the key is refused.
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByRole("group", { name: "Confirm revoke" })).toContainText("stop working");
  await row.getByRole("button", { name: "Revoke key" }).click();
  await expect(row).toContainText("revoked");
  const refused = await page.request.fetch("/v1/models", { headers: { Authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);
});
