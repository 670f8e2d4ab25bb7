import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

test("an edit shows up in the diff with the changed words highlighted", async ({ page }) => {
  const mira = unique("Mira");
  await login(page);
  await page.getByRole("link", { name: "Personas", exact: true }).click();
  await page.getByRole("link", { name: "New persona" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill(mira);
  await page.getByLabel("Template (Jinja)").fill("You are Mira.\nBe kind to {{ user_id }}.\nAsk one question.");
  await page.getByRole("button", { name: "Create persona" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 1");
  await expect(page.getByTestId("used-variables")).toHaveText("user_id");

  // Saving the same content again creates no version.
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("status")).toHaveText("No changes: the content is identical to version 1.");

  await page.getByLabel("Template (Jinja)").fill("You are Mira.\nBe very kind to {{ user_id }}.\nAsk one question.");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("latest-version")).toHaveText("version 2");

  await page.getByRole("link", { name: "Compare with v1" }).click();
  await expect(page.getByRole("heading", { name: `Compare versions of ${mira}` })).toBeVisible();
  await expect(page.getByTestId("diff-counts")).toHaveText("+1 −1");
  const unified = page.getByRole("table", { name: "Unified diff" });
  await expect(unified.locator("tr.removed")).toContainText("Be kind to {{ user_id }}.");
  await expect(unified.locator("tr.added")).toContainText("Be very kind to {{ user_id }}.");
  await expect(unified.locator("tr.added mark")).toContainText("very");

  await page.getByRole("button", { name: "Show side by side" }).click();
  const split = page.getByRole("table", { name: "Side-by-side diff" });
  await expect(split.getByRole("row").filter({ hasText: "Be kind to" })).toContainText("Be very kind to");

  // Any two versions: the same version against itself has no changes.
  await page.getByLabel("From").selectOption("2");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page.getByText("These versions have the same content.")).toBeVisible();
});
